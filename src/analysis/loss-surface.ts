/**
 * Beyond the thesis (docs/mathematics.md, Experiment A): a 2-D loss surface
 *   w(x, y) = w0 + x d1 + y d2
 * over either two filter-normalised random directions around one solution (Li et
 * al. 2018) or the plane through three solutions (w0 = a, d1 = b - a, d2 = the part
 * of c - a orthogonal to d1). Batch-norm statistics as on the line: recalibrated
 * from a fixed sample at each point (default), or the solution's own (`keep`;
 * around one solution only), or batch statistics.
 */
import type { StudyData } from '../data/load';
import { expected } from '../core/errors';
import type { Measurement, Network } from '../engine/network';
import { filterNormalisedDirection, planeThrough } from './directions';
import { uniformBatch } from '../data/sampler';
import { alphaGrid, type Solution } from './loss-line';
import { throwIfStopped } from '../train/stop';
import { recalibrateAndMeasureTrain, recalibrationSample } from './recalibration-sample';

export type SurfaceBatchNorm = 'recalibrate' | 'keep' | 'batch';

export interface SurfaceOptions {
  xs: number[];
  ys: number[];
  bn: SurfaceBatchNorm;
  sampleSize: number;
  evalBatch: number;
  seed: number;
  /** Which set the surface is measured on. */
  set: 'train' | 'test';
  /** Examples of that set each point is measured on (a seeded uniform sample, the same at
   * every point); absent: all of them. */
  evalSize?: number;
}

/**
 * The loss surfaces' defaults: a grid from -1 to 1 on both axes, batch norm recalibrated at each
 * point, measured on the test set.
 *
 * @example
 * ```ts
 * import { alphaGrid, DEFAULT_SURFACE } from 'gradscope';
 * const finer = { ...DEFAULT_SURFACE, xs: alphaGrid(-1, 1, 41), ys: alphaGrid(-1, 1, 41) };
 * console.log(finer.xs.length * finer.ys.length, 'points');
 * ```
 */
export const DEFAULT_SURFACE: SurfaceOptions = {
  xs: alphaGrid(-1, 1, 21),
  ys: alphaGrid(-1, 1, 21),
  bn: 'recalibrate',
  sampleSize: 10000,
  evalBatch: 5000,
  seed: 0,
  set: 'test',
};

export interface SurfaceResult {
  kind: 'loss-surface';
  directions: 'filter-normalised random' | 'plane through three solutions';
  solutions: { label: string; x: number; y: number }[];
  bn: SurfaceBatchNorm;
  set: 'train' | 'test';
  xs: number[];
  ys: number[];
  /** loss[i][j] at (xs[i], ys[j]). */
  loss: number[][];
  accuracy: number[][];
  seconds: number;
}

/** The grid's points row by row; a stop signal stops it before any point (stop.ts). */
export async function surfaceOver(
  network: Network,
  origin: Solution,
  d1: Float64Array,
  d2: Float64Array,
  data: StudyData,
  o: SurfaceOptions,
  onPoint?: (done: number, total: number) => void,
): Promise<Pick<SurfaceResult, 'loss' | 'accuracy' | 'seconds'>> {
  if (!o.xs.length || !o.ys.length) throw expected('a grid with at least one point', 'grid', o.xs);
  const started = process.hrtime.bigint();
  const sample =
    o.bn === 'recalibrate'
      ? recalibrationSample(o.seed, Math.min(o.sampleSize, data.train.size), data.train.size)
      : undefined;
  const set = o.set === 'train' ? data.train : data.test;
  const indices =
    o.evalSize === undefined || o.evalSize >= set.size
      ? set.all()
      : uniformBatch(o.seed, 'surface', o.evalSize, 0, set.size).sort();
  const whole = indices.length === set.size;
  const w0 = origin.parameters;
  const w = w0.slice(); // each grid point's parameters, written to the network as a whole
  const loss: number[][] = [];
  const accuracy: number[][] = [];
  let done = 0;
  for (const x of o.xs) {
    const lossRow: number[] = [];
    const accuracyRow: number[] = [];
    for (const y of o.ys) {
      await throwIfStopped(() => `at point ${done + 1} of ${o.xs.length * o.ys.length}`);
      for (let i = 0; i < w.length; i++) w[i] = w0[i]! + x * d1[i]! + y * d2[i]!;
      network.writeParameters(w);
      network.writeStatistics(origin.statistics);
      const mode = o.bn === 'batch' ? 'batch' : 'population';
      let m: Measurement;
      if (sample && o.set === 'train' && whole)
        m = recalibrateAndMeasureTrain(network, data.train, sample, o.evalBatch);
      else {
        if (sample) network.recalibrate(data.train, sample.indices, { chunk: o.evalBatch });
        m = network.evaluate(set, indices, { mode, chunk: o.evalBatch });
      }
      lossRow.push(m.loss);
      accuracyRow.push(m.accuracy);
      onPoint?.(++done, o.xs.length * o.ys.length);
    }
    loss.push(lossRow);
    accuracy.push(accuracyRow);
  }
  return { loss, accuracy, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/**
 * The loss over w + x d1 + y d2 around one solution, d1 and d2 filter-normalised random
 * directions (Li et al. 2018), at every (x, y) of the grid.
 *
 * @example
 * ```ts
 * import {
 *   DEFAULT_SURFACE,
 *   loadData,
 *   networkFromCheckpoint,
 *   randomDirectionSurface,
 *   solutionOf,
 * } from 'gradscope';
 * const { network } = networkFromCheckpoint(
 *   'runs/thesis-f1/seeds/0/checkpoints/arm-5000/epoch-0030.safetensors',
 * );
 * const surface = await randomDirectionSurface(
 *   network,
 *   solutionOf(network, 'B = 5000'),
 *   loadData('mnist'),
 *   DEFAULT_SURFACE,
 * );
 * console.log(surface.loss[10][10]); // at the solution itself: x = y = 0 on the default grid
 * ```
 */
export async function randomDirectionSurface(
  network: Network,
  solution: Solution,
  data: StudyData,
  o: SurfaceOptions,
  onPoint?: (done: number, total: number) => void,
): Promise<SurfaceResult> {
  const d1 = filterNormalisedDirection(network, solution.parameters, o.seed, 'x');
  const d2 = filterNormalisedDirection(network, solution.parameters, o.seed, 'y');
  return {
    kind: 'loss-surface',
    directions: 'filter-normalised random',
    solutions: [{ label: solution.label, x: 0, y: 0 }],
    bn: o.bn,
    set: o.set,
    xs: o.xs,
    ys: o.ys,
    ...(await surfaceOver(network, solution, d1, d2, data, o, onPoint)),
  };
}

/**
 * The loss over the plane through three solutions a, b, c (w0 = a, d1 = b - a, d2 the part of
 * c - a orthogonal to d1); `solutions` gives each one's (x, y).
 *
 * @example
 * ```ts
 * import {
 *   DEFAULT_SURFACE,
 *   loadData,
 *   networkFromCheckpoint,
 *   planeSurface,
 *   solutionOf,
 * } from 'gradscope';
 * const arm = (b: number) =>
 *   networkFromCheckpoint(`runs/thesis-f1/seeds/0/checkpoints/arm-${b}/epoch-0030.safetensors`)
 *     .network;
 * const [a, b, c] = [256, 1000, 5000].map((batch) => solutionOf(arm(batch), `B = ${batch}`));
 * const surface = await planeSurface(arm(256), a, b, c, loadData('mnist'), DEFAULT_SURFACE);
 * console.log(surface.solutions); // where each arm lies in the plane
 * ```
 */
export async function planeSurface(
  network: Network,
  a: Solution,
  b: Solution,
  c: Solution,
  data: StudyData,
  o: SurfaceOptions,
  onPoint?: (done: number, total: number) => void,
): Promise<SurfaceResult> {
  if (o.bn === 'keep')
    throw expected(
      'recalibrate or batch (three solutions have no one set of statistics)',
      'bn',
      o.bn,
    );
  const plane = planeThrough(a.parameters, b.parameters, c.parameters);
  return {
    kind: 'loss-surface',
    directions: 'plane through three solutions',
    solutions: [
      { label: a.label, x: 0, y: 0 },
      { label: b.label, x: plane.b[0], y: plane.b[1] },
      { label: c.label, x: plane.c[0], y: plane.c[1] },
    ],
    bn: o.bn,
    set: o.set,
    xs: o.xs,
    ys: o.ys,
    ...(await surfaceOver(network, a, plane.e1, plane.e2, data, o, onPoint)),
  };
}
