/**
 * A switch study (issue 29, "a study that answers the question"): when to switch from the small
 * batch B1 to a large one, and to what, compared on the same seeds. It is a list of variants,
 * each a process-1 rule with its arms (one study each: the fixed epoch count, the smoothed
 * test-accuracy rule, the noise-scale rule, a short process 1 with the small-batch control and
 * the ramp arms ...), sharing the network, data, seeds, optimiser, B1, the live noise scale's
 * interval and the sharpness measured at every arm's final state. `control` names the
 * small-batch control arm (`variant/phase`), `fixedSwitch` the variant of the study's fixed
 * switch; every arm is compared with both, paired by seed.
 *
 *   name, scale, network, data, standardise, seeds, optimizer, noiseScaleEvery, noiseScaleExamples,
 *   sharpness
 *   batchSize: B1, process 1 of every variant
 *   variants: [ { name, process1: { epochs, convergence | switchAt }, process2: { arms, epochs,
 *                 ramps } }, ... ]
 *   control: control/arm-256
 *   fixedSwitch: fixed
 *   criticalBatch: { from, epochs, batchSizes, examples, tolerance, loss, lrRule, sampleSize }
 *
 * A ramp `{ by: critical-batch, table: measured }` follows the critical batch size that the
 * study measures for each seed by branching from process 1 of the variant `criticalBatch.from`
 * (Merrill et al.; `gradscope analyze critical-batch`); a ramp with a file as its table reads it.
 *
 * Every field is checked by the study config's own checks (config.ts), a variant's named by
 * the variant; unknown fields are refused.
 */
import { checkBatchGrid } from '../analysis/critical-batch';
import type { LearningRateRule, Tolerance } from '../analysis/critical-batch-size';
import {
  expected,
  GradscopeFileError,
  GradscopeInputError,
  isPositiveInteger,
} from '../core/errors';
import { checkListLength, LIMITS } from '../engine/limits';
import { rampPhase, type RampSpec } from '../train/ramp';
import { completeStudyConfig, readRawConfig, type StudyConfig } from './config';

/** A ramp's `table` that asks for the critical batch size the study measures itself. */
export const MEASURED_TABLE = 'measured';

/**
 * The critical batch size measured per seed by branching from process 1 of a variant
 * (src/analysis/critical-batch.ts, as `gradscope analyze critical-batch` does), for the ramps
 * whose table is `measured`.
 */
export interface SwitchCriticalBatch {
  /** The variant whose process 1 it branches from (its epochs must be saved there). */
  from: string;
  epochs: number[];
  /** The increasing grid of branch batch sizes. */
  batchSizes: number[];
  /** Training examples per branch (default one epoch). */
  examples?: number;
  /** In nats (0.01), or a share of the loss ("1%"); default the paper's 0.01 nats. */
  tolerance?: number | string;
  loss?: 'train' | 'test';
  lrRule?: LearningRateRule;
  sampleSize?: number;
}

const CRITICAL_FIELDS = [
  'from',
  'epochs',
  'batchSizes',
  'examples',
  'tolerance',
  'loss',
  'lrRule',
  'sampleSize',
];

/** The tolerance of a critical-batch section: nats, or "P%" of the loss. */
export function criticalTolerance(value: number | string | undefined): Tolerance {
  if (value === undefined) return { kind: 'absolute', value: 0.01 };
  const relative = typeof value === 'string' && value.endsWith('%');
  const x = typeof value === 'number' ? value : Number(relative ? value.slice(0, -1) : value);
  if ((typeof value === 'string' && value.trim() === '') || !Number.isFinite(x) || x < 0)
    throw expected(
      'a loss difference at least 0 (0.01) or a percentage ("1%")',
      'criticalBatch.tolerance',
      value,
    );
  return relative ? { kind: 'relative', value: x / 100 } : { kind: 'absolute', value: x };
}

function checkCriticalBatch(c: SwitchStudyConfig): void {
  const k = c.criticalBatch;
  const measured = c.variants.some((v) =>
    (v.process2.ramps ?? []).some((r) => r.table === MEASURED_TABLE),
  );
  if (k === undefined) {
    if (measured)
      throw expected(
        'a criticalBatch section with a ramp whose table is "measured"',
        'criticalBatch',
        k,
      );
    return;
  }
  if (typeof k !== 'object' || k === null || Array.isArray(k))
    throw expected('a mapping', 'criticalBatch', k);
  for (const key of Object.keys(k))
    if (!CRITICAL_FIELDS.includes(key))
      throw new GradscopeInputError(
        `criticalBatch.${key}: unknown field (fields here: ${CRITICAL_FIELDS.join(', ')})`,
      );
  const from = c.variants.find((v) => v.name === k.from);
  if (!from)
    throw expected(
      `one of the variants (${c.variants.map((v) => v.name).join(', ')})`,
      'criticalBatch.from',
      k.from,
    );
  checkListLength(k.epochs, LIMITS.listLength, 'criticalBatch.epochs');
  if (
    !Array.isArray(k.epochs) ||
    k.epochs.length === 0 ||
    !k.epochs.every((e, i) => isPositiveInteger(e) && (i === 0 || e > k.epochs[i - 1]!)) ||
    k.epochs[k.epochs.length - 1]! > from.process1.epochs
  )
    throw expected(
      `increasing epochs of process 1 of ${from.name} (1 to ${from.process1.epochs})`,
      'criticalBatch.epochs',
      k.epochs,
    );
  checkListLength(k.batchSizes, LIMITS.listLength, 'criticalBatch.batchSizes');
  if (!Array.isArray(k.batchSizes))
    throw expected('increasing positive batch sizes', 'criticalBatch.batchSizes', k.batchSizes);
  checkBatchGrid(k.batchSizes, 'criticalBatch.batchSizes');
  if (k.examples !== undefined && !isPositiveInteger(k.examples))
    throw expected('a positive integer', 'criticalBatch.examples', k.examples);
  if (k.sampleSize !== undefined && !isPositiveInteger(k.sampleSize))
    throw expected('a positive integer', 'criticalBatch.sampleSize', k.sampleSize);
  criticalTolerance(k.tolerance);
  if (k.loss !== undefined && k.loss !== 'train' && k.loss !== 'test')
    throw expected('train or test', 'criticalBatch.loss', k.loss);
  if (k.lrRule !== undefined && !['none', 'sqrt', 'linear'].includes(k.lrRule))
    throw expected('none, sqrt or linear', 'criticalBatch.lrRule', k.lrRule);
}

/** One variant: a process-1 rule and its arms. */
export interface SwitchVariant {
  name: string;
  process1: Omit<StudyConfig['process1'], 'batchSize'> & { batchSize?: number };
  process2: StudyConfig['process2'];
}

/**
 * A switch study: variants of process 1 and its arms on the same seeds, each arm compared with
 * the small-batch control and with the study's fixed switch.
 *
 * @example
 * ```ts
 * import { readSwitchConfig, type SwitchStudyConfig } from 'gradscope';
 * const demo = readSwitchConfig('configs/switch-demo.yaml');
 * const threeSeeds: SwitchStudyConfig = { ...demo, seeds: [0, 1, 2] };
 * console.log(threeSeeds.variants.map((v) => v.name), threeSeeds.control);
 * ```
 */
export interface SwitchStudyConfig {
  name: string;
  scale: string;
  network: string;
  data: string;
  standardise: boolean;
  seeds: number[];
  optimizer: StudyConfig['optimizer'];
  noiseScaleEvery?: number;
  noiseScaleExamples?: number;
  /** B1: process 1 of every variant (a variant may set its own). */
  batchSize: number;
  sharpness?: StudyConfig['sharpness'];
  variants: SwitchVariant[];
  /** The small-batch control: `variant/phase`. */
  control: string;
  /** The variant of the fixed switch: an arm is compared with its arm of the same B2. */
  fixedSwitch: string;
  /** The critical batch size the ramps with `table: measured` follow, measured per seed. */
  criticalBatch?: SwitchCriticalBatch;
  /** Where it computes (--device wins); not part of the study, so not in config.json. */
  device?: string;
}

const FIELDS = [
  'name',
  'scale',
  'network',
  'data',
  'standardise',
  'seeds',
  'optimizer',
  'noiseScaleEvery',
  'noiseScaleExamples',
  'batchSize',
  'sharpness',
  'variants',
  'control',
  'fixedSwitch',
  'criticalBatch',
  'device',
];

const VARIANT_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** Whether a raw config is a switch study's (it has variants). */
export function isSwitchStudy(raw: Record<string, unknown>): boolean {
  return 'variants' in raw;
}

/** A variant as a study config of its own (lines none; Experiment B is not run). */
export function variantStudy(c: SwitchStudyConfig, v: SwitchVariant): StudyConfig {
  return completeStudyConfig({
    name: `${c.name}: ${v.name}`,
    scale: c.scale,
    network: c.network,
    data: c.data,
    standardise: c.standardise,
    seeds: c.seeds,
    optimizer: c.optimizer,
    ...(c.noiseScaleEvery !== undefined ? { noiseScaleEvery: c.noiseScaleEvery } : {}),
    ...(c.noiseScaleExamples !== undefined ? { noiseScaleExamples: c.noiseScaleExamples } : {}),
    ...(c.sharpness !== undefined ? { sharpness: c.sharpness } : {}),
    process1: { batchSize: c.batchSize, ...v.process1 },
    process2: v.process2,
    lines: { pairs: [] },
  });
}

/** The phases of process 2 of a variant: its fixed arms, then its ramps. */
export function variantArms(v: SwitchVariant): string[] {
  return [
    ...v.process2.arms.map((b) => `arm-${b}`),
    ...(v.process2.ramps ?? []).map((r: RampSpec) => rampPhase(r)),
  ];
}

/** Checks a switch study, its defaults filled in; a variant's error names the variant. */
export function completeSwitchConfig(raw: Record<string, unknown>): SwitchStudyConfig {
  for (const key of Object.keys(raw))
    if (!FIELDS.includes(key))
      throw new GradscopeInputError(`${key}: unknown field (fields here: ${FIELDS.join(', ')})`);
  const c = {
    name: 'switch study',
    scale: 'custom',
    standardise: false,
    seeds: [0],
    optimizer: { kind: 'adam', lr: 1e-3 },
    batchSize: 256,
    ...raw,
  } as unknown as SwitchStudyConfig;
  // the shared fields first, on a trivial variant, so that their errors name no variant
  if (typeof c.batchSize !== 'number' || !isPositiveInteger(c.batchSize))
    throw expected('a positive integer (B1)', 'batchSize', c.batchSize);
  variantStudy(c, {
    name: 'shared',
    process1: { epochs: 1 },
    process2: { arms: [c.batchSize], epochs: 1 },
  });
  checkListLength(c.variants, LIMITS.listLength, 'variants');
  if (!Array.isArray(c.variants) || c.variants.length === 0)
    throw expected('a non-empty list of variants', 'variants', c.variants);
  const names = new Set<string>();
  c.variants.forEach((v, i) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw expected('a variant { name, process1, process2 }', `variants[${i}]`, v);
    for (const key of Object.keys(v))
      if (!['name', 'process1', 'process2'].includes(key))
        throw new GradscopeInputError(
          `variants[${i}].${key}: unknown field (fields here: name, process1, process2)`,
        );
    if (typeof v.name !== 'string' || !VARIANT_NAME.test(v.name))
      throw expected(
        'a name of lower-case letters, digits and dashes (at most 40)',
        `variants[${i}].name`,
        v.name,
      );
    if (names.has(v.name)) throw expected('distinct variant names', `variants[${i}].name`, v.name);
    names.add(v.name);
    try {
      variantStudy(c, v);
    } catch (error) {
      if (error instanceof GradscopeInputError)
        throw new GradscopeInputError(`variant ${v.name} (variants[${i}]): ${error.message}`);
      throw error;
    }
  });
  if (typeof c.fixedSwitch !== 'string' || !names.has(c.fixedSwitch))
    throw expected(`one of the variants (${[...names].join(', ')})`, 'fixedSwitch', c.fixedSwitch);
  const arms = c.variants.flatMap((v) => variantArms(v).map((a) => `${v.name}/${a}`));
  if (typeof c.control !== 'string' || !arms.includes(c.control))
    throw expected(`an arm as variant/phase (${arms.join(', ')})`, 'control', c.control);
  checkCriticalBatch(c);
  return c;
}

/**
 * A switch study's config file (YAML or JSON), checked, its defaults filled in.
 *
 * @example
 * ```ts
 * import { readSwitchConfig } from 'gradscope';
 * const study = readSwitchConfig('configs/switch-demo.yaml');
 * console.log(study.variants.map((v) => v.name), study.control);
 * ```
 */
export function readSwitchConfig(file: string): SwitchStudyConfig {
  return switchConfigFrom(file, readRawConfig(file));
}

/** A raw config already read from `file`, as a switch study. */
export function switchConfigFrom(file: string, raw: Record<string, unknown>): SwitchStudyConfig {
  try {
    return completeSwitchConfig(raw);
  } catch (error) {
    if (error instanceof GradscopeInputError) throw new GradscopeFileError(file, error.message);
    throw error;
  }
}
