/**
 * Experiment A (docs/mathematics.md): the loss along the line between two solutions,
 *
 *   w(alpha) = (1 - alpha) w_a + alpha w_b,   alpha on a grid (default -2 to 3, 51 points),
 *
 * train and test cross-entropy and accuracy at each point. Batch-norm statistics:
 * - `recalibrate` (default): recomputed at each alpha from a fixed seeded sample of
 *   the training set, weights fixed (Network.recalibrate), then population mode;
 * - `interpolate`: the running buffers interpolated like the weights; where an
 *   extrapolated point makes a running variance negative the point is undefined,
 *   with that reason, never a number;
 * - `batch`: batch statistics at evaluation, in consecutive batches of `evalBatch`.
 * Also the alpha of the lowest test loss on the grid and its accuracy.
 */
import { LIMITS } from '../engine/limits';
import type { StudyData } from '../data/load';
import { expected, GradscopeInputError, isPositiveInteger } from '../core/errors';
import type { Network } from '../engine/network';
import { lerp } from '../engine/vector';
import { throwIfStopped } from '../train/stop';
import { recalibrateAndMeasureTrain, recalibrationSample } from './recalibration-sample';

export type LineBatchNorm = 'recalibrate' | 'interpolate' | 'batch';

/**
 * A solution w of the loss-line experiment: its label, parameters and batch-norm statistics
 * (copies taken by `solutionOf`).
 *
 * @example
 * ```ts
 * import { networkFromCheckpoint, solutionOf, type Solution } from 'gradscope';
 * const { network } = networkFromCheckpoint(
 *   'runs/thesis-f1/seeds/0/checkpoints/arm-256/epoch-0030.safetensors',
 * );
 * const small: Solution = solutionOf(network, 'B = 256');
 * console.log(small.label, small.parameters.length);
 * ```
 */
export interface Solution {
  label: string;
  parameters: Float32Array | Float64Array;
  statistics: Float32Array | Float64Array;
}

/**
 * The network's current w and batch-norm statistics as a `Solution` named `label` (copies: the
 * network may move on).
 *
 * @example
 * ```ts
 * import { Network, networkSpec, solutionOf } from 'gradscope';
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const start = solutionOf(network, 'initialisation');
 * console.log(start.parameters.length === network.parameterCount); // true
 * ```
 */
export function solutionOf(network: Network, label: string): Solution {
  return { label, parameters: network.readParameters(), statistics: network.readStatistics() };
}

/**
 * Where the line is measured (`alphas`: 0 is the first solution, 1 the second) and how batch
 * norm is treated between them (`recalibrate` on a fixed training sample, `interpolate`, `batch`).
 *
 * @example
 * ```ts
 * import { alphaGrid, DEFAULT_LINE, type LineOptions } from 'gradscope';
 * const options: LineOptions = {
 *   ...DEFAULT_LINE,
 *   alphas: alphaGrid(-1, 2, 61),
 *   bn: 'recalibrate',
 * };
 * console.log(options.alphas.length);
 * ```
 */
export interface LineOptions {
  alphas: number[];
  bn: LineBatchNorm;
  /** Size of the fixed training sample `recalibrate` uses. */
  sampleSize: number;
  /** Batch size of evaluation in `batch` mode; chunk size otherwise. */
  evalBatch: number;
  seed: number;
}

/**
 * Experiment A's defaults: 51 values of alpha from -2 to 3, batch norm recalibrated at every
 * point on a fixed sample of 10 000 training examples.
 *
 * @example
 * ```ts
 * import { DEFAULT_LINE } from 'gradscope';
 * console.log(DEFAULT_LINE.alphas[0], DEFAULT_LINE.bn, DEFAULT_LINE.sampleSize);
 * ```
 */
export const DEFAULT_LINE: LineOptions = {
  alphas: alphaGrid(-2, 3, 51),
  bn: 'recalibrate',
  sampleSize: 10000,
  evalBatch: 5000,
  seed: 0,
};

export interface Measured {
  loss: number;
  accuracy: number;
}

export interface LinePoint {
  alpha: number;
  train: Measured | null;
  test: Measured | null;
  /** Why the point is undefined, when it is. */
  undefinedReason?: string;
}

/**
 * The loss and accuracy on the training and test sets at every alpha of the line, and the alpha
 * of the lowest test loss.
 *
 * @example
 * ```ts
 * import {
 *   DEFAULT_LINE,
 *   loadData,
 *   lossAlongLine,
 *   networkFromCheckpoint,
 *   solutionOf,
 *   type LineResult,
 * } from 'gradscope';
 * const a = networkFromCheckpoint('small-batch.safetensors');
 * const b = networkFromCheckpoint('large-batch.safetensors');
 * const line: LineResult = await lossAlongLine(
 *   a.network,
 *   solutionOf(a.network, 'B = 256'),
 *   solutionOf(b.network, 'B = 5000'),
 *   loadData('mnist'),
 *   DEFAULT_LINE,
 * );
 * for (const p of line.points) console.log(p.alpha, p.train?.loss, p.test?.loss);
 * ```
 */
export interface LineResult {
  kind: 'loss-line';
  from: string;
  to: string;
  bn: LineBatchNorm;
  sampleSize: number | null;
  evalBatch: number | null;
  points: LinePoint[];
  best: { alpha: number; testLoss: number; testAccuracy: number } | null;
  seconds: number;
  secondsPerPoint: number;
}

/**
 * `count` evenly spaced values from `start` to `end` inclusive.
 *
 * @example
 * ```ts
 * import { alphaGrid } from 'gradscope';
 * console.log(alphaGrid(-1, 2, 7)); // [-1, -0.5, 0, 0.5, 1, 1.5, 2]
 * ```
 */
export function alphaGrid(start: number, end: number, count: number): number[] {
  if (count === 1) return [start];
  // weighted this way, integer ends give the nearest doubles (2.9, not 2.9000000000000004)
  return Array.from({ length: count }, (_, i) => (start * (count - 1 - i) + end * i) / (count - 1));
}

/** "-2:3:51" -> alphaGrid(-2, 3, 51). */
export function parseGrid(text: string, option: string): number[] {
  const parts = String(text).split(':').map(Number);
  if (
    parts.length !== 3 ||
    !parts.every(Number.isFinite) ||
    !isPositiveInteger(parts[2]) ||
    parts[1]! < parts[0]!
  )
    throw expected('START:END:COUNT with START <= END and COUNT >= 1', option, text);
  if (parts[2]! > LIMITS.gridPoints)
    throw expected(`START:END:COUNT with COUNT at most ${LIMITS.gridPoints}`, option, text);
  return alphaGrid(parts[0]!, parts[1]!, parts[2]!);
}

export function checkLineOptions(o: LineOptions, trainSize: number): void {
  if (!Array.isArray(o.alphas) || o.alphas.length === 0 || !o.alphas.every(Number.isFinite))
    throw expected('a grid with at least one point', 'alpha', o.alphas);
  if (!['recalibrate', 'interpolate', 'batch'].includes(o.bn))
    throw expected('recalibrate, interpolate or batch', 'bn', o.bn);
  if (!isPositiveInteger(o.sampleSize))
    throw expected('a positive integer', 'sample size', o.sampleSize);
  if (o.bn === 'recalibrate' && o.sampleSize > trainSize)
    throw new GradscopeInputError(
      `the recalibration sample (${o.sampleSize}) is larger than the training set (${trainSize} examples)`,
    );
  if (!isPositiveInteger(o.evalBatch))
    throw expected('a positive integer', 'evaluation batch', o.evalBatch);
}

/**
 * Sets `network` to w(alpha), and in `interpolate` mode its statistics; returns a reason
 * if the point is undefined. (`recalibrate` then recomputes the statistics as it measures.)
 */
export function placeOnLine(
  network: Network,
  a: Solution,
  b: Solution,
  alpha: number,
  bn: LineBatchNorm,
): string | undefined {
  const w = a.parameters.slice();
  lerp(a.parameters, b.parameters, alpha, w);
  network.writeParameters(w);
  if (bn === 'interpolate') {
    const statistics = a.statistics.slice();
    lerp(a.statistics, b.statistics, alpha, statistics);
    network.writeStatistics(statistics);
    for (const s of network.statisticsTable)
      for (let i = 0; i < s.features; i++) {
        const v = statistics[s.varOffset + i]!;
        if (v < 0)
          return `interpolated running variance of layer ${s.layer}, channel ${i}, is negative (${v.toPrecision(3)})`;
      }
  }
  return undefined;
}

/**
 * Experiment A: the loss and accuracy along w(alpha) = (1 - alpha) a + alpha b between two
 * solutions, on the training and test sets; `network` is left at the last point.
 *
 * @example
 * ```ts
 * import {
 *   alphaGrid,
 *   DEFAULT_LINE,
 *   loadData,
 *   lossAlongLine,
 *   networkFromCheckpoint,
 *   solutionOf,
 * } from 'gradscope';
 * const small = networkFromCheckpoint(
 *   'runs/thesis-f1/seeds/0/checkpoints/arm-256/epoch-0030.safetensors',
 * );
 * const large = networkFromCheckpoint(
 *   'runs/thesis-f1/seeds/0/checkpoints/arm-5000/epoch-0030.safetensors',
 * );
 * const a = solutionOf(small.network, 'B = 256');
 * const b = solutionOf(large.network, 'B = 5000');
 * const line = await lossAlongLine(small.network, a, b, loadData('mnist'), {
 *   ...DEFAULT_LINE,
 *   alphas: alphaGrid(-1, 2, 31),
 * });
 * console.log(line.best); // the alpha of the lowest test loss
 * ```
 */
export async function lossAlongLine(
  network: Network,
  a: Solution,
  b: Solution,
  data: StudyData,
  options: LineOptions,
  onPoint?: (done: number, total: number) => void,
): Promise<LineResult> {
  checkLineOptions(options, data.train.size);
  const started = process.hrtime.bigint();
  const sample =
    options.bn === 'recalibrate'
      ? recalibrationSample(options.seed, options.sampleSize, data.train.size)
      : undefined;
  const mode = options.bn === 'batch' ? 'batch' : 'population';
  const chunk = options.evalBatch;
  const train = data.train.all();
  const test = data.test.all();
  const measure = (set: typeof data.train, indices: Int32Array): Measured => {
    const m = network.evaluate(set, indices, { mode, chunk });
    return { loss: m.loss, accuracy: m.accuracy };
  };
  const points: LinePoint[] = [];
  for (const [i, alpha] of options.alphas.entries()) {
    await throwIfStopped(() => `at point ${i + 1} of ${options.alphas.length} (alpha ${alpha})`);
    const reason = placeOnLine(network, a, b, alpha, options.bn);
    let point: LinePoint;
    if (reason) point = { alpha, train: null, test: null, undefinedReason: reason };
    else {
      const trainMeasured = sample
        ? recalibrateAndMeasureTrain(network, data.train, sample, chunk)
        : measure(data.train, train);
      point = {
        alpha,
        train: { loss: trainMeasured.loss, accuracy: trainMeasured.accuracy },
        test: measure(data.test, test),
      };
    }
    onPoint?.(i + 1, options.alphas.length);
    points.push(point);
  }
  let best: LineResult['best'] = null;
  for (const p of points)
    if (p.test && (best === null || p.test.loss < best.testLoss))
      best = { alpha: p.alpha, testLoss: p.test.loss, testAccuracy: p.test.accuracy };
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    kind: 'loss-line',
    from: a.label,
    to: b.label,
    bn: options.bn,
    sampleSize: options.bn === 'recalibrate' ? options.sampleSize : null,
    evalBatch: options.bn === 'batch' ? options.evalBatch : null,
    points,
    best,
    seconds,
    secondsPerPoint: seconds / points.length,
  };
}
