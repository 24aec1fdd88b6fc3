/**
 * A study as a declarative config (YAML or JSON): network, data, optimiser,
 * process 1 (B1, epochs or a convergence rule), process 2 (arms B2 and epochs),
 * Experiment B's analysis points, Experiment A's lines, seeds. Every field is
 * checked with one clear message naming it; unknown fields are refused (a typo
 * must not silently fall back to a default).
 */
import { parseDevice } from '../engine/device';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import {
  expected,
  GradscopeFileError,
  GradscopeInputError,
  isNonNegativeInteger,
  isPositiveInteger,
} from '../core/errors';
import { readAt, withRegularFile } from '../core/regular-file';
import { checkCount, checkListLength, LIMITS } from '../engine/limits';
import { checkOptimizerSettings, type OptimizerSettings } from '../engine/optimizer';
import type { Convergence } from '../train/convergence';
import { checkRamps, type RampSpec } from '../train/ramp';
import { checkSwitchRule, type SwitchRule } from '../train/switch-rule';
import { parseGrid, type LineBatchNorm } from '../analysis/loss-line';
import { checkAnalysisSchedule, type AnalysisSchedule } from './analysis-schedule';
import { checkSubset, type DataSubset } from '../data/subset';

/**
 * A study: network and data, seeds, process 1 (small-batch training to the branch point), process
 * 2's piggybacked arms, Experiment B's schedule, Experiment A's lines, and optionally sharpness
 * and trajectories; what `gradscope run CONFIG` reads from YAML or JSON.
 *
 * @example
 * ```ts
 * import { thesisConfig, type StudyConfig } from 'gradscope';
 * const fiveSeeds: StudyConfig = {
 *   ...thesisConfig('F1'),
 *   name: 'F1, five seeds',
 *   seeds: [0, 1, 2, 3, 4],
 * };
 * console.log(fiveSeeds.process2.arms); // [256, 1000, 2000, 5000]
 * ```
 */
export interface StudyConfig {
  name: string;
  /** "thesis" or "demo": printed on the report so a demo is never mistaken for the study. */
  scale: string;
  network: string;
  data: string;
  /** Only the first examples of each set (token data: windows), e.g. a demo on part of a
   * corpus; absent: all of them. */
  subset?: DataSubset;
  standardise: boolean;
  seeds: number[];
  optimizer: OptimizerSettings;
  process1: {
    batchSize: number;
    epochs: number;
    convergence?: Convergence;
    /** Process 1 ends when the live B_simple reaches a fraction of a B2 (train/switch-rule.ts). */
    switchAt?: SwitchRule;
  };
  /** The fixed arms B2 and the ramp arms (train/ramp.ts), each for `epochs` epochs. */
  process2: { arms: number[]; epochs: number; ramps?: RampSpec[] };
  /** The live gradient noise scale every N optimizer steps (0: off; absent: the default). */
  noiseScaleEvery?: number;
  /** Examples of the step's batch each live measurement takes (its first m; absent: all). */
  noiseScaleExamples?: number;
  analysis: AnalysisSchedule;
  lines: { pairs: [string, string][]; alpha: string; bn: LineBatchNorm; sampleSize: number };
  sharpness?: {
    eps: number[];
    /** p of the random subspace; 0 skips it. */
    subspace: number;
    iterations: number;
    topK: number;
    hutchinson: number;
    /** Examples of the training set f is taken over (default: all). */
    sampleSize?: number;
    /** Examples the Hessian is taken over (default 5000). */
    hessianSample?: number;
    /** The Hessian's spectral density by stochastic Lanczos quadrature (default: none). */
    density?: { probes: number; steps: number };
    /** Per parameter group: block top eigenvalue and trace (default: false). */
    layers?: boolean;
    /** The top eigenvalues by Lanczos (default) or by power iteration with deflation. */
    eigen?: 'lanczos' | 'power';
  };
  /** Training trajectories (Li et al. 2018, section 7): process 1 and every arm in one PCA
   * plane around the final state of the largest-B arm, per seed (default: none). */
  trajectory?: StudyTrajectory;
  /** How `--executor slurm` submits the pieces (the command line's --slurm-* win); not part
   * of the study itself, so it is left out of config.json. */
  slurm?: SlurmSettings;
  /** Where the study computes: cpu, cuda, cuda:N or auto (--device wins); like slurm, how it
   * runs rather than what it is, so left out of config.json. */
  device?: string;
}

export interface SlurmSettings {
  partition?: string;
  time?: string | number;
  gpus?: string | number;
  account?: string;
  /** More sbatch options passed through to every job, e.g. "--qos=long". */
  options?: string[];
}

export interface StudyTrajectory {
  /** Grid points per axis; the grid covers the paths with a fifth of their span around. */
  points: number;
  /** Process 1's checkpoints every this many epochs (and its branch epoch); arms: all. */
  every: number;
  /** The set the loss over the plane is measured on. */
  set: 'train' | 'test';
  bn: 'recalibrate' | 'batch';
  /** Training examples batch norm is recalibrated on at each point. */
  sampleSize: number;
  /** Examples of the set each point is measured on (a seeded uniform sample; default all). */
  evalSize?: number;
}

export const TRAJECTORY_FIELDS = ['points', 'every', 'set', 'bn', 'sampleSize', 'evalSize'];

/** The defaults of the trajectory section. */
export const DEFAULT_TRAJECTORY: StudyTrajectory = {
  points: 11,
  every: 1,
  set: 'train',
  bn: 'recalibrate',
  sampleSize: 2000,
};

const TOP_FIELDS = [
  'slurm',
  'device',
  'name',
  'scale',
  'network',
  'data',
  'subset',
  'standardise',
  'seeds',
  'optimizer',
  'process1',
  'process2',
  'analysis',
  'lines',
  'sharpness',
  'trajectory',
  'noiseScaleEvery',
  'noiseScaleExamples',
];

function onlyFields(o: unknown, allowed: string[], at: string): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw expected('a mapping', at, o);
  for (const key of Object.keys(o))
    if (!allowed.includes(key))
      throw new GradscopeInputError(
        `${at ? `${at}.` : ''}${key}: unknown field (fields here: ${allowed.join(', ')})`,
      );
  return o as Record<string, unknown>;
}

/** The small-batch arm against each piggybacked arm. */
export function defaultPairs(arms: number[]): [string, string][] {
  const [small, ...rest] = arms;
  return rest.map((b) => [`arm-${small}`, `arm-${b}`]);
}

export function checkStudyConfig(c: StudyConfig): StudyConfig {
  onlyFields(c, TOP_FIELDS, '');
  if (c.slurm !== undefined) {
    const sl = onlyFields(c.slurm, ['partition', 'time', 'gpus', 'account', 'options'], 'slurm');
    for (const key of ['partition', 'time', 'gpus', 'account'])
      if (sl[key] !== undefined && !/^[^\s'"\\]+$/.test(String(sl[key])))
        throw expected('a word (no spaces or quotes)', `slurm.${key}`, sl[key]);
    if (
      sl.options !== undefined &&
      (!Array.isArray(sl.options) ||
        !sl.options.every((o) => typeof o === 'string' && /^--?[\w-]+(=[^\n'"\\]*)?$/.test(o)))
    )
      throw expected('a list of sbatch options such as "--qos=long"', 'slurm.options', sl.options);
  }
  if (c.device !== undefined) parseDevice(c.device, 'device');
  if (typeof c.name !== 'string' || !c.name) throw expected('a name', 'name', c.name);
  if (typeof c.network !== 'string' || !c.network)
    throw expected('a network name or file', 'network', c.network);
  if (typeof c.data !== 'string' || !c.data)
    throw expected('a data set name or folder', 'data', c.data);
  if (c.subset !== undefined) checkSubset(c.subset, 'subset');
  checkListLength(c.seeds, LIMITS.seeds, 'seeds');
  if (
    !Array.isArray(c.seeds) ||
    c.seeds.length === 0 ||
    !c.seeds.every((s) => Number.isSafeInteger(s) && s >= 0)
  )
    throw expected('a non-empty list of non-negative integers', 'seeds', c.seeds);
  const o = onlyFields(
    c.optimizer,
    ['kind', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'momentum', 'dampening', 'nesterov'],
    'optimizer',
  );
  if (o.kind !== 'adam' && o.kind !== 'sgd')
    throw expected('adam or sgd', 'optimizer.kind', o.kind);
  checkOptimizerSettings(o as unknown as OptimizerSettings, (field) => `optimizer.${field}`);
  const p1 = onlyFields(c.process1, ['batchSize', 'epochs', 'convergence', 'switchAt'], 'process1');
  checkCount(p1.batchSize, LIMITS.batchSize, 'process1.batchSize');
  checkCount(p1.epochs, LIMITS.epochs, 'process1.epochs');
  if (p1.convergence !== undefined) {
    const cv = onlyFields(
      p1.convergence,
      ['patience', 'threshold', 'window', 'branch'],
      'process1.convergence',
    );
    if (cv.window !== undefined)
      checkCount(cv.window, LIMITS.epochs, 'process1.convergence.window');
    if (cv.branch !== undefined && cv.branch !== 'end' && cv.branch !== 'best')
      throw expected('"end" or "best"', 'process1.convergence.branch', cv.branch);
    checkCount(cv.patience, LIMITS.epochs, 'process1.convergence.patience');
    if (typeof cv.threshold !== 'number' || !(cv.threshold >= 0))
      throw expected('a non-negative number', 'process1.convergence.threshold', cv.threshold);
  }
  if (c.noiseScaleEvery !== undefined)
    checkCount(c.noiseScaleEvery, LIMITS.iterations, 'noiseScaleEvery', 0);
  if (c.noiseScaleExamples !== undefined)
    checkCount(c.noiseScaleExamples, LIMITS.batchSize, 'noiseScaleExamples', 2);
  const measured = c.noiseScaleEvery !== 0;
  const p2 = onlyFields(c.process2, ['arms', 'epochs', 'ramps'], 'process2');
  checkListLength(p2.arms, LIMITS.listLength, 'process2.arms');
  if (!Array.isArray(p2.arms) || p2.arms.length === 0 || !p2.arms.every(isPositiveInteger))
    throw expected('a non-empty list of batch sizes', 'process2.arms', p2.arms);
  for (const b of p2.arms as number[]) checkCount(b, LIMITS.batchSize, 'process2.arms');
  checkCount(p2.epochs, LIMITS.epochs, 'process2.epochs');
  if (p1.switchAt !== undefined) {
    checkSwitchRule(p1.switchAt as SwitchRule, 'process1.switchAt');
    if (p1.convergence !== undefined)
      throw expected(
        'one rule: process1.switchAt or process1.convergence, not both',
        'process1.switchAt',
        p1.switchAt,
      );
    if (!measured)
      throw expected(
        'the live noise scale (noiseScaleEvery > 0) with process1.switchAt',
        'noiseScaleEvery',
        c.noiseScaleEvery,
      );
  }
  if (p2.ramps !== undefined) checkRamps(p2.ramps, 'process2.ramps', c.noiseScaleEvery, measured);
  onlyFields(
    c.analysis,
    [
      'every',
      'batchSizes',
      'armEvery',
      'armBatchSizes',
      'samples',
      'mode',
      'ghostBatch',
      'draws',
      'layers',
      'signalMemory',
    ],
    'analysis',
  );
  checkAnalysisSchedule(c.analysis);
  const l = onlyFields(c.lines, ['pairs', 'alpha', 'bn', 'sampleSize'], 'lines');
  const arms = new Set((p2.arms as number[]).map((b) => `arm-${b}`));
  checkListLength(l.pairs, LIMITS.listLength, 'lines.pairs');
  if (!Array.isArray(l.pairs)) throw expected('a list of [arm, arm] pairs', 'lines.pairs', l.pairs);
  for (const pair of l.pairs as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((x) => arms.has(String(x))))
      throw expected(`pairs of arms among ${[...arms].join(', ')}`, 'lines.pairs', pair);
  }
  parseGrid(String(l.alpha), 'lines.alpha');
  if (!['recalibrate', 'interpolate', 'batch'].includes(String(l.bn)))
    throw expected('recalibrate, interpolate or batch', 'lines.bn', l.bn);
  checkCount(l.sampleSize, LIMITS.examples, 'lines.sampleSize');
  if (c.sharpness !== undefined) {
    const s = onlyFields(
      c.sharpness,
      [
        'eps',
        'subspace',
        'iterations',
        'topK',
        'hutchinson',
        'sampleSize',
        'hessianSample',
        'density',
        'layers',
        'eigen',
      ],
      'sharpness',
    );
    if (s.eigen !== undefined && s.eigen !== 'lanczos' && s.eigen !== 'power')
      throw expected('"lanczos" or "power"', 'sharpness.eigen', s.eigen);
    if (s.layers !== undefined && typeof s.layers !== 'boolean')
      throw expected('true or false', 'sharpness.layers', s.layers);
    if (s.layers === true && s.hutchinson === 0)
      throw expected('at least 2 with sharpness.layers', 'sharpness.hutchinson', s.hutchinson);
    if (s.density !== undefined) {
      const density = onlyFields(s.density, ['probes', 'steps'], 'sharpness.density');
      checkCount(density.probes, LIMITS.iterations, 'sharpness.density.probes');
      checkCount(density.steps, LIMITS.iterations, 'sharpness.density.steps', 2);
    }
    checkListLength(s.eps, LIMITS.listLength, 'sharpness.eps');
    if (!Array.isArray(s.eps) || !s.eps.every((e) => typeof e === 'number' && e > 0))
      throw expected('a list of positive numbers', 'sharpness.eps', s.eps);
    checkCount(s.iterations, LIMITS.iterations, 'sharpness.iterations');
    for (const key of ['subspace', 'topK', 'hutchinson'])
      if (!isNonNegativeInteger(s[key]))
        throw expected('a non-negative integer (0 skips it)', `sharpness.${key}`, s[key]);
      else checkCount(s[key], LIMITS.iterations, `sharpness.${key}`, 0);
    for (const key of ['sampleSize', 'hessianSample'])
      if (s[key] !== undefined) checkCount(s[key], LIMITS.examples, `sharpness.${key}`);
  }
  if (c.trajectory !== undefined) {
    const t = onlyFields(c.trajectory, TRAJECTORY_FIELDS, 'trajectory');
    if (!isPositiveInteger(t.points) || (t.points as number) < 2)
      throw expected('an integer of at least 2', 'trajectory.points', t.points);
    if (!isPositiveInteger(t.every))
      throw expected('a positive integer (epochs)', 'trajectory.every', t.every);
    if (t.set !== 'train' && t.set !== 'test')
      throw expected('train or test', 'trajectory.set', t.set);
    if (t.bn !== 'recalibrate' && t.bn !== 'batch')
      throw expected('recalibrate or batch', 'trajectory.bn', t.bn);
    if (!isPositiveInteger(t.sampleSize))
      throw expected('a positive integer', 'trajectory.sampleSize', t.sampleSize);
    if (t.evalSize !== undefined && !isPositiveInteger(t.evalSize))
      throw expected('a positive integer', 'trajectory.evalSize', t.evalSize);
  }
  return c;
}

/** Fills the defaults a config may leave out (Experiment B's points: the thesis'), then
 * checks it. */
export function completeStudyConfig(raw: Record<string, unknown>): StudyConfig {
  const arms = (raw.process2 as { arms?: unknown } | undefined)?.arms;
  const lines = (raw.lines ?? {}) as Record<string, unknown>;
  const trajectory = raw.trajectory;
  const config = {
    name: 'study',
    scale: 'custom',
    standardise: false,
    seeds: [0],
    optimizer: { kind: 'adam', lr: 1e-3 },
    ...raw,
    analysis: raw.analysis
      ? { ghostBatch: 5000, ...(raw.analysis as object) }
      : thesisStudy().analysis,
    lines: {
      pairs: Array.isArray(arms) ? defaultPairs(arms) : [],
      alpha: '-2:3:51',
      bn: 'recalibrate',
      sampleSize: 10000,
      ...lines,
    },
    ...(trajectory !== undefined && trajectory !== null && typeof trajectory === 'object'
      ? { trajectory: { ...DEFAULT_TRAJECTORY, ...trajectory } }
      : {}),
  } as unknown as StudyConfig;
  return checkStudyConfig(config);
}

/** A config file, YAML or JSON by its extension, as written (a mapping). */
export function readRawConfig(file: string): Record<string, unknown> {
  // opened once, as a regular file (/dev/zero or a FIFO is refused, never read), and
  // judged by its size before it is read into memory
  const text = withRegularFile(
    file,
    (opened) => {
      if (opened.size > LIMITS.configBytes)
        throw new GradscopeFileError(
          file,
          `${opened.size} bytes; a config is at most ${LIMITS.configBytes} bytes (docs/study.md "Limits")`,
        );
      return readAt(opened, 0, opened.size).toString('utf8');
    },
    { directory: 'is a folder, not a config file', missing: 'no such config file' },
  );
  let raw: unknown;
  try {
    raw = path.extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new GradscopeFileError(
      file,
      `not valid ${path.extname(file) === '.json' ? 'JSON' : 'YAML'}: ${error instanceof Error ? error.message.split('\n')[0] : error}`,
    );
  }
  if (typeof raw !== 'object' || raw === null)
    throw new GradscopeFileError(file, 'the config must be a mapping');
  return raw as Record<string, unknown>;
}

/**
 * A config file, YAML or JSON by its extension, its defaults filled in.
 *
 * @example
 * ```ts
 * import { makeProgress, readStudyConfig, runStudy } from 'gradscope';
 * const study = readStudyConfig('my-study.yaml'); // checked, defaults filled in
 * await runStudy(study, 'runs/mine', { resume: false, progress: makeProgress({ quiet: false }) });
 * ```
 */
export function readStudyConfig(file: string): StudyConfig {
  return completedFrom(file, readRawConfig(file));
}

function completedFrom(file: string, raw: Record<string, unknown>): StudyConfig {
  try {
    return completeStudyConfig(raw);
  } catch (error) {
    if (error instanceof GradscopeInputError) throw new GradscopeFileError(file, error.message);
    throw error;
  }
}

export const CONFIG_DIR = path.join(__dirname, '..', '..', '..', 'configs');

/**
 * The thesis study as configs/thesis.yaml says it (F1 on MNIST): the one source of the
 * study's defaults. `run thesis` runs it, `train` starts from it, and a config without an
 * analysis section takes its Experiment B points.
 */
export function thesisStudy(): StudyConfig {
  const file = path.join(CONFIG_DIR, 'thesis.yaml');
  const raw = readRawConfig(file);
  // the defaults of every other config come from here, so it must not lean on them itself
  if (!raw.analysis) throw new GradscopeFileError(file, 'the thesis config needs its analysis');
  return completedFrom(file, raw);
}

/**
 * The shipped thesis config, for one of its networks (F1 on MNIST, C1 on CIFAR-10, C3 on
 * CIFAR-100).
 *
 * @example
 * ```ts
 * import { thesisConfig } from 'gradscope';
 * const f1 = thesisConfig('F1'); // MNIST, built in
 * const c1 = thesisConfig('C1', '/data/cifar-10-batches-bin');
 * console.log(f1.seeds, c1.process1.batchSize);
 * ```
 */
export function thesisConfig(network: string, data?: string): StudyConfig {
  const base = thesisStudy();
  const name = network.toUpperCase();
  const defaults: Record<string, string | undefined> = {
    F1: 'mnist',
    C1: undefined,
    C3: undefined,
  };
  if (!(name in defaults))
    throw expected('F1, C1 or C3 (the thesis networks)', '--network', network);
  const chosen = data ?? defaults[name];
  if (!chosen)
    throw new GradscopeInputError(
      `--data: ${name} trains on ${name === 'C1' ? 'CIFAR-10' : 'CIFAR-100'}; give the folder of its binary files (see docs/files.md)`,
    );
  return checkStudyConfig({ ...base, network: name, data: chosen, name: `thesis ${name}` });
}
