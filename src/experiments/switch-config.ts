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
 *   name, scale, network, data, standardise, seeds, optimizer, noiseScaleEvery, sharpness
 *   batchSize: B1, process 1 of every variant
 *   variants: [ { name, process1: { epochs, convergence | switchAt }, process2: { arms, epochs,
 *                 ramps } }, ... ]
 *   control: control/arm-256
 *   fixedSwitch: fixed
 *
 * Every field is checked by the study config's own checks (config.ts), a variant's named by
 * the variant; unknown fields are refused.
 */
import { expected, GradscopeFileError, GradscopeInputError } from '../core/errors';
import { checkListLength, LIMITS } from '../engine/limits';
import { rampPhase, type RampSpec } from '../train/ramp';
import { completeStudyConfig, readRawConfig, type StudyConfig } from './config';

/** One variant: a process-1 rule and its arms. */
export interface SwitchVariant {
  name: string;
  process1: Omit<StudyConfig['process1'], 'batchSize'> & { batchSize?: number };
  process2: StudyConfig['process2'];
}

/**
 * A switch study: variants of process 1 and its arms on the same seeds, each arm compared with
 * the small-batch control and with the study's fixed switch.
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
  /** B1: process 1 of every variant (a variant may set its own). */
  batchSize: number;
  sharpness?: StudyConfig['sharpness'];
  variants: SwitchVariant[];
  /** The small-batch control: `variant/phase`. */
  control: string;
  /** The variant of the fixed switch: an arm is compared with its arm of the same B2. */
  fixedSwitch: string;
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
  'batchSize',
  'sharpness',
  'variants',
  'control',
  'fixedSwitch',
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
