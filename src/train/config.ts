/**
 * What a training run is: plain values a command line or a config file sets,
 * checked field by field ("Expected <what> for <field> but received <value>").
 *
 * A run is one phase ("train") or, with `piggyback`, the piggybacked method:
 * process 1 at `batchSize` for `epochs` epochs, or until test accuracy converges
 * (`convergence`), or until the live noise scale reaches a fraction of B2 (`switchAt`),
 * then one arm per B2 in `piggyback.arms`, and one per ramp in `piggyback.ramps` (its batch
 * size growing by a rule), each continuing the branch state (weights, batch-norm buffers,
 * optimiser state, RNG) for `piggyback.epochs`.
 */
import { expected, isPositiveInteger } from '../core/errors';
import { checkCount, checkListLength, LIMITS } from '../engine/limits';
import { checkOptimizerSettings, type OptimizerSettings } from '../engine/optimizer';
import type { Convergence } from './convergence';
import { checkSchedule, type ScheduleSpec } from './schedule';
import { checkSmoothout, type SmoothoutSpec } from './smoothout';
import { DEFAULT_NOISE_SCALE_EVERY } from './noise-scale';
import { checkRamps, type RampSpec } from './ramp';
import { checkSwitchRule, switchTarget, type SwitchRule } from './switch-rule';
import { checkSubset, type DataSubset } from '../data/subset';

/**
 * One training run: network, data, seed, optimiser, batch size and epochs, with a batch-size
 * schedule, Smoothout, and the piggybacked arms (`piggyback`) as options.
 *
 * @example
 * ```ts
 * import { defaultTrainConfig, type TrainConfig } from 'gradscope';
 * const increasing: TrainConfig = {
 *   ...defaultTrainConfig(),
 *   network: 'C1',
 *   data: '/data/cifar-10-batches-bin',
 *   schedule: { kind: 'increasing', at: [10, 20], factor: 4 }, // B = 256, then 1024, then 4096
 * };
 * console.log(increasing);
 * ```
 */
export interface TrainConfig {
  network: string;
  data: string;
  seed: number;
  optimizer: OptimizerSettings;
  batchSize: number;
  /** Fixed epoch count, or the most epochs when `convergence` is set. */
  epochs: number;
  convergence?: Convergence;
  schedule: ScheduleSpec;
  smoothout?: SmoothoutSpec;
  /** Process 1 ends when the live B_simple's moving average reaches a fraction of a B2
   * (train/switch-rule.ts); absent: the epoch count or `convergence`, not both with it. */
  switchAt?: SwitchRule;
  /** The arms of process 2: one at constant B2 per entry of `arms`, and the ramp arms, whose
   * batch size grows by a rule (train/ramp.ts), all for `epochs` epochs from the branch. */
  piggyback?: { arms: number[]; epochs: number; ramps?: RampSpec[] };
  standardise?: boolean;
  /** Only the first examples of each set (token data: windows); absent: all. */
  subset?: DataSubset;
  /** The live gradient noise scale every N optimizer steps (0: off; absent: the default). */
  noiseScaleEvery?: number;
  /** Examples of the step's batch each live measurement takes (its first m; absent: all). */
  noiseScaleExamples?: number;
}

/** N of the live noise scale that a config asks for (train/noise-scale.ts's default when absent). */
export function noiseScaleEveryOf(c: TrainConfig): number {
  return c.noiseScaleEvery ?? DEFAULT_NOISE_SCALE_EVERY;
}

/**
 * `gradscope train`'s defaults: F1 on MNIST, seed 0, Adam at 1e-3, batch 256, 30 epochs.
 *
 * @example
 * ```ts
 * import { defaultTrainConfig } from 'gradscope';
 * const config = { ...defaultTrainConfig(), batchSize: 5000, epochs: 60 };
 * console.log(config.optimizer); // { kind: 'adam', lr: 0.001 }
 * ```
 */
export function defaultTrainConfig(): TrainConfig {
  return {
    network: 'F1',
    data: 'mnist',
    seed: 0,
    optimizer: { kind: 'adam', lr: 1e-3 },
    batchSize: 256,
    epochs: 30,
    schedule: { kind: 'constant' },
  };
}

export function checkTrainConfig(c: TrainConfig): void {
  if (typeof c.network !== 'string' || !c.network)
    throw expected('a network name or file', 'network', c.network);
  if (typeof c.data !== 'string' || !c.data)
    throw expected('a data set name or folder', 'data', c.data);
  if (c.subset !== undefined) checkSubset(c.subset, 'subset');
  if (!Number.isSafeInteger(c.seed) || c.seed < 0)
    throw expected('a non-negative integer', 'seed', c.seed);
  checkOptimizerSettings(c.optimizer, (field) => `optimizer.${field}`);
  if (!isPositiveInteger(c.batchSize))
    throw expected('a positive integer', 'batch size', c.batchSize);
  checkCount(c.batchSize, LIMITS.batchSize, 'batch size');
  if (!isPositiveInteger(c.epochs)) throw expected('a positive integer', 'epochs', c.epochs);
  checkCount(c.epochs, LIMITS.epochs, 'epochs');
  if (c.convergence) {
    if (!isPositiveInteger(c.convergence.patience))
      throw expected('a positive integer', 'convergence patience', c.convergence.patience);
    checkCount(c.convergence.patience, LIMITS.epochs, 'convergence patience');
    if (typeof c.convergence.threshold !== 'number' || !(c.convergence.threshold >= 0))
      throw expected('a non-negative number', 'convergence threshold', c.convergence.threshold);
    const { window, branch } = c.convergence;
    if (window !== undefined && !isPositiveInteger(window))
      throw expected('a positive integer (epochs)', 'convergence window', window);
    if (branch !== undefined && branch !== 'end' && branch !== 'best')
      throw expected('"end" or "best"', 'convergence branch', branch);
  }
  if (c.noiseScaleEvery !== undefined)
    checkCount(c.noiseScaleEvery, LIMITS.iterations, 'noise scale interval (steps)', 0);
  if (c.noiseScaleExamples !== undefined)
    checkCount(c.noiseScaleExamples, LIMITS.batchSize, 'noiseScaleExamples', 2);
  checkSchedule(c.schedule);
  if (c.smoothout) checkSmoothout(c.smoothout);
  const measured = noiseScaleEveryOf(c) > 0;
  if (c.switchAt !== undefined) {
    checkSwitchRule(c.switchAt, 'switchAt');
    if (c.convergence)
      throw expected('one rule: switchAt or convergence, not both', 'switchAt', c.switchAt);
    if (!switchTarget(c.switchAt, c.piggyback?.arms))
      throw expected(
        'a batchSize (a run without arms has no B2 to aim at)',
        'switchAt.noiseScale',
        c.switchAt.noiseScale,
      );
    if (!measured)
      throw expected(
        'the live noise scale (noiseScaleEvery > 0) with switchAt',
        'noiseScaleEvery',
        c.noiseScaleEvery,
      );
  }
  if (c.piggyback) {
    const { arms, epochs, ramps } = c.piggyback;
    checkListLength(arms, LIMITS.listLength, 'arms');
    if (!Array.isArray(arms) || arms.length === 0 || !arms.every(isPositiveInteger))
      throw expected('a non-empty list of batch sizes', 'arms', arms);
    if (new Set(arms).size !== arms.length) throw expected('distinct batch sizes', 'arms', arms);
    if (!isPositiveInteger(epochs)) throw expected('a positive integer', 'arm epochs', epochs);
    checkCount(epochs, LIMITS.epochs, 'arm epochs');
    for (const b of arms) checkCount(b, LIMITS.batchSize, 'arms');
    if (ramps !== undefined) checkRamps(ramps, 'ramps', c.noiseScaleEvery, measured);
  }
}
