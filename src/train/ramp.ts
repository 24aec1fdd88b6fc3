/**
 * Ramp arms (docs/mathematics.md, "Switch and ramp rules"): from the branch state, the batch
 * size grows along training by a rule, on a grid, never shrinking.
 *
 * At the start of each epoch e of the arm (epochs counted on from process 1's), with the
 * driver D measured on the weights after e - 1 epochs:
 *   - by noise-scale:    D = the live EMA B_simple (the phase state's averages; undefined while
 *                        no measurement with a positive |G|^2 average exists)
 *   - by critical-batch: D = the table's critical batch size at the last point whose epoch is
 *                        at most e - 1 (piecewise constant; before the first point, the first)
 *   target = factor x D
 *   B_e = max(B_{e-1}, the largest grid value <= target, grid[0])       (B_0: none, so grid[0])
 * and B_{e-1} when D is undefined. The batch size changes only at epoch boundaries: every epoch
 * is one permutation visited at one B, and the batch size is part of the checkpointed phase
 * state, so a resumed arm takes the same decisions.
 *
 * The learning rate at B, with lr0 the optimiser's and B1 process 1's batch size:
 *   none:   lr0
 *   sqrt:   lr0 sqrt(B / B1)     (Adam; Malladi et al. 2022)
 *   linear: lr0 B / B1           (SGD; Goyal et al. 2017)
 * each at most `lrCap` when one is given.
 */
import { expected, isPositiveInteger } from '../core/errors';
import { checkCount, checkListLength, LIMITS } from '../engine/limits';
import type { OptimizerSettings } from '../engine/optimizer';
import type { CriticalBatchPoint } from './critical-batch-table';

export type RampDriver = 'noise-scale' | 'critical-batch';
export type RampLearningRate = 'none' | 'sqrt' | 'linear';

/** One ramp arm of process 2. */
export interface RampSpec {
  /** The arm's phase is `ramp-<name>`; default the driver's name ("ramp-noise-scale"). */
  name?: string;
  /** What drives the batch size: the live B_simple or a table of measured critical batch sizes. */
  by: RampDriver;
  /** c in target = c x driver (default 1). */
  factor?: number;
  /** With `by: critical-batch`: the JSON table `{ "points": [{ "epoch", "criticalBatch" }] }`. */
  table?: string;
  /** The increasing grid of batch sizes (default DEFAULT_RAMP_GRID). */
  grid?: number[];
  /** The learning-rate rule (default: none with Adam, linear with SGD). */
  lr?: RampLearningRate;
  /** The largest learning rate the rule may give (default: no cap). */
  lrCap?: number;
}

export const DEFAULT_RAMP_GRID = [256, 512, 1000, 2000, 5000];

export const RAMP_FIELDS = ['name', 'by', 'factor', 'table', 'grid', 'lr', 'lrCap'];

/** The phase (and checkpoint folder) of a ramp arm. */
export function rampPhase(spec: RampSpec): string {
  return `ramp-${spec.name ?? spec.by}`;
}

export function rampGrid(spec: RampSpec): number[] {
  return spec.grid ?? DEFAULT_RAMP_GRID;
}

export function rampLearningRateRule(
  spec: RampSpec,
  optimizer: OptimizerSettings,
): RampLearningRate {
  return spec.lr ?? (optimizer.kind === 'sgd' ? 'linear' : 'none');
}

/**
 * Checks a list of ramps (`field` names it: "ramps", "process2.ramps"): each ramp's fields,
 * distinct phase names, and the live noise scale on (`noiseScaleEvery` > 0) for a ramp by it.
 */
export function checkRamps(
  ramps: unknown,
  field: string,
  noiseScaleEvery: unknown,
  measured: boolean,
): void {
  checkListLength(ramps, LIMITS.listLength, field);
  if (!Array.isArray(ramps)) throw expected('a list of ramps', field, ramps);
  const names = new Set<string>();
  (ramps as RampSpec[]).forEach((r, i) => {
    checkRamp(r, `${field}[${i}]`);
    if (names.has(rampPhase(r)))
      throw expected('ramps of distinct names (give each a name)', `${field}[${i}].name`, r.name);
    names.add(rampPhase(r));
    if (r.by === 'noise-scale' && !measured)
      throw expected(
        'the live noise scale (noiseScaleEvery > 0) with a ramp by noise-scale',
        'noiseScaleEvery',
        noiseScaleEvery,
      );
  });
}

/** Checks one ramp's fields; `at` names it ("piggyback.ramps[0]", "process2.ramps[0]"). */
export function checkRamp(spec: RampSpec, at: string): void {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw expected('a ramp ({ by, factor, table, grid, lr, lrCap })', at, spec);
  for (const key of Object.keys(spec))
    if (!RAMP_FIELDS.includes(key))
      throw expected(`one of the fields ${RAMP_FIELDS.join(', ')}`, at, key);
  if (spec.by !== 'noise-scale' && spec.by !== 'critical-batch')
    throw expected('"noise-scale" or "critical-batch"', `${at}.by`, spec.by);
  if (
    spec.name !== undefined &&
    (typeof spec.name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,39}$/.test(spec.name))
  )
    throw expected('a name of lower-case letters, digits and -', `${at}.name`, spec.name);
  if (
    spec.factor !== undefined &&
    (typeof spec.factor !== 'number' || !(spec.factor > 0) || !Number.isFinite(spec.factor))
  )
    throw expected('a positive number', `${at}.factor`, spec.factor);
  if (spec.by === 'critical-batch' && (typeof spec.table !== 'string' || spec.table === ''))
    throw expected(
      'the critical-batch table file (with by: critical-batch)',
      `${at}.table`,
      spec.table,
    );
  if (spec.by === 'noise-scale' && spec.table !== undefined)
    throw expected(
      'no table (by: noise-scale is driven by the live B_simple)',
      `${at}.table`,
      spec.table,
    );
  if (spec.grid !== undefined) {
    checkListLength(spec.grid, LIMITS.listLength, `${at}.grid`);
    if (!Array.isArray(spec.grid) || spec.grid.length === 0 || !spec.grid.every(isPositiveInteger))
      throw expected('a non-empty list of batch sizes', `${at}.grid`, spec.grid);
    if (spec.grid.some((b, i) => i > 0 && b <= spec.grid![i - 1]!))
      throw expected('batch sizes in increasing order', `${at}.grid`, spec.grid);
    for (const b of spec.grid) checkCount(b, LIMITS.batchSize, `${at}.grid`);
  }
  if (spec.lr !== undefined && spec.lr !== 'none' && spec.lr !== 'sqrt' && spec.lr !== 'linear')
    throw expected('"none", "sqrt" or "linear"', `${at}.lr`, spec.lr);
  if (
    spec.lrCap !== undefined &&
    (typeof spec.lrCap !== 'number' || !(spec.lrCap > 0) || !Number.isFinite(spec.lrCap))
  )
    throw expected('a positive number', `${at}.lrCap`, spec.lrCap);
}

/** The largest grid value at most `target`, and never below the grid's first. */
export function gridBatch(grid: number[], target: number): number {
  let chosen = grid[0]!;
  for (const b of grid) if (b <= target) chosen = b;
  return chosen;
}

/** The table's critical batch size for weights after `epochsDone` epochs (piecewise constant). */
export function criticalBatchAt(points: CriticalBatchPoint[], epochsDone: number): number {
  let chosen = points[0]!.criticalBatch;
  for (const p of points) if (p.epoch <= epochsDone) chosen = p.criticalBatch;
  return chosen;
}

/** The learning rate at batch size B (lr0 at process 1's B1). */
export function rampLearningRate(
  rule: RampLearningRate,
  lr0: number,
  b1: number,
  batchSize: number,
  cap: number | undefined,
): number {
  const lr =
    rule === 'sqrt'
      ? lr0 * Math.sqrt(batchSize / b1)
      : rule === 'linear'
        ? (lr0 * batchSize) / b1
        : lr0;
  return cap === undefined ? lr : Math.min(lr, cap);
}

export interface RampDecision {
  batchSize: number;
  /** The driver's value D (undefined: none yet, the batch size stays). */
  driver: number | undefined;
  /** factor x D. */
  target: number | undefined;
}

/** The batch size for the next epoch; pure. `current` is undefined at the arm's first epoch. */
export function rampBatchSize(
  grid: number[],
  factor: number,
  current: number | undefined,
  driver: number | undefined,
): RampDecision {
  const floor = current ?? grid[0]!;
  if (driver === undefined) return { batchSize: floor, driver, target: undefined };
  const target = factor * driver;
  return { batchSize: Math.max(floor, gridBatch(grid, target)), driver, target };
}
