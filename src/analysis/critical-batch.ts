/**
 * `analyze critical-batch`: the critical batch size along process 1 of a run, by branching
 * (docs/mathematics.md, "The critical batch size by branching"; Merrill et al. 2025).
 *
 * For each chosen checkpoint of process 1 (epoch e, trained at B_0 with rate eta_0) and each
 * batch size B of the grid, a branch starts from the checkpoint exactly as a piggybacked arm
 * does (train/arm-start.ts: weights, batch-norm statistics, optimiser state, torch's RNG; the
 * data stream continues with the epochs after e) and trains with the training loop itself
 * (train/phase.ts) at constant B and rate eta(B) for the same N examples. Its loss at the end is
 * the mean cross-entropy over a fixed seeded sample of training examples in population mode
 * (the same sample for every branch and checkpoint), or the test loss; the critical batch size
 * of the checkpoint is criticalBatchSize (critical-batch-size.ts) of the branches' losses.
 *
 * Each finished branch is written at once (src/store/critical-batch.ts) with the settings it ran
 * under; a rerun with the same settings takes it as done, so a killed analysis resumes without
 * redoing finished branches (an unfinished branch starts over).
 */
import * as fs from 'fs';
import { GradscopeFileError, GradscopeInputError, expected } from '../core/errors';
import { acquireLock } from '../core/lock';
import { makeFolder } from '../core/make-folder';
import { removeStaleTemporaries } from '../core/stale-temporaries';
import { loadData, type StudyData } from '../data/load';
import { uniformBatch } from '../data/sampler';
import { checkpointInfo } from '../engine/checkpoint-file';
import { tokenWindowsFor } from '../engine/data-options';
import type { NetworkSpec } from '../engine/layers';
import { checkNetworkFitsData, Network } from '../engine/network';
import { Optimizer } from '../engine/optimizer';
import { networkSpec } from '../models';
import { checkpointName, epochFiles, epochOf } from '../store/checkpoint-files';
import { holdsRun, readConfigFile } from '../store/config-file';
import {
  branchMetricsFile,
  criticalBatchDir,
  criticalBatchLock,
  readBranchResult,
  writeBranchResult,
  writeCriticalBatch,
} from '../store/critical-batch';
import { verifyCheckpoint } from '../store/latest-checkpoint';
import { noiseScaleRecords, readMetrics, type NoiseScaleRecord } from '../store/metrics';
import { configFile, metricsFile, phaseCheckpointDir } from '../store/run-paths';
import { continueAsArm } from '../train/arm-start';
import { checkTrainConfig, type TrainConfig } from '../train/config';
import { trainPhase } from '../train/phase';
import type { Progress } from '../train/progress';
import { epochSettings } from '../train/schedule';
import {
  branchLearningRate,
  criticalBatchSize,
  type LearningRateRule,
  type Tolerance,
} from './critical-batch-size';

/** The size of the evaluation sample unless told (the whole training set when smaller). */
export const DEFAULT_SAMPLE_SIZE = 10000;

export interface CriticalBatchOptions {
  /** Process 1's epochs to branch from; absent: every saved checkpoint of process 1. */
  epochs?: number[];
  /** The grid, increasing. */
  batchSizes: number[];
  /** Training examples per branch; absent: one epoch (the training set's size). */
  examples?: number;
  /** Absent: sqrt for Adam, linear for SGD (the paper's rules). */
  lrRule?: LearningRateRule;
  tolerance: Tolerance;
  /** The loss compared: the training sample's (default) or the test set's. */
  loss: 'train' | 'test';
  /** The training sample's size; absent: DEFAULT_SAMPLE_SIZE or the whole training set. */
  sampleSize?: number;
  /** The evaluation sample's seed. */
  seed: number;
  progress: Progress;
  /** The run's data, already loaded (tests); loaded from the run's config otherwise. */
  data?: StudyData;
}

/** One branch: where it started, what it ran and how it ended. */
export interface CriticalBranch {
  batchSize: number;
  /** Optimizer steps and training examples the branch took. */
  steps: number;
  examples: number;
  learningRate: number;
  /** The loss the definition compares (`lossKind`); null when the branch diverged. */
  loss: number | null;
  trainSampleLoss: number | null;
  trainSampleAccuracy: number | null;
  testLoss: number | null;
  testAccuracy: number | null;
  /** Why the branch stopped early (it diverged), when it did. */
  diverged?: string;
  seconds: number;
  /** What the branch ran under: a rerun with other settings redoes it. */
  settings: BranchSettings;
}

interface BranchSettings {
  checkpoint: { epoch: number; step: number };
  batchSize: number;
  examples: number;
  learningRate: number;
  seed: number;
  sampleSize: number;
  sampleSeed: number;
}

export interface CriticalPoint {
  /** Process 1's epoch of the checkpoint, and its optimizer step. */
  epoch: number;
  step: number;
  checkpoint: string;
  /** The checkpoint's own batch size and learning rate (B_0, eta_0 of the rule). */
  batchSize: number;
  learningRate: number;
  /** The checkpoint's own losses, before any branch. */
  startTrainSampleLoss: number;
  startTestLoss: number;
  criticalBatch: number;
  /** Whether criticalBatch is the grid's largest size: the true one may be larger. */
  lowerBound: boolean;
  /** The live B_simple of process 1 at the checkpoint (its last measurement before the
   * checkpoint's epoch ended), when the run measured it. */
  liveNoiseScale?: number;
  branches: CriticalBranch[];
}

export interface CriticalBatchResult {
  points: CriticalPoint[];
  definition: string;
  runDir: string;
  phase: string;
  network: string;
  data: string;
  optimizer: string;
  batchSizes: number[];
  examples: number;
  lrRule: LearningRateRule;
  tolerance: Tolerance;
  lossKind: 'train' | 'test';
  sampleSize: number;
  seed: number;
  seconds: number;
}

/** Throws one line unless the grid is increasing (positive sizes come checked). */
export function checkBatchGrid(batchSizes: readonly number[], option = '--batch-sizes'): void {
  if (
    batchSizes.length === 0 ||
    !batchSizes.every((b) => Number.isSafeInteger(b) && b > 0) ||
    batchSizes.some((b, i) => i > 0 && b <= batchSizes[i - 1]!)
  )
    throw expected('increasing positive batch sizes', option, batchSizes.join(','));
}

/** The run's training config from its config.json; anything else is not a run. */
function runConfig(runDir: string): TrainConfig {
  if (!fs.existsSync(runDir) || !fs.statSync(runDir).isDirectory())
    throw new GradscopeInputError(`${runDir}: no such run directory`);
  if (!holdsRun(runDir))
    throw new GradscopeInputError(`${runDir} is not a run directory (no config.json)`);
  const stored = readConfigFile(runDir);
  if (stored.config === undefined && stored.study !== undefined)
    throw new GradscopeInputError(
      `${runDir} is a study; name one of its seeds' run directories (${runDir}/seeds/0, ...)`,
    );
  const config = stored.config as TrainConfig | undefined;
  if (typeof config !== 'object' || config === null)
    throw new GradscopeInputError(
      `${runDir} is not a training run (its config.json has no config)`,
    );
  try {
    checkTrainConfig(config);
  } catch (error) {
    if (!(error instanceof GradscopeInputError)) throw error;
    throw new GradscopeFileError(configFile(runDir), `holds no valid config: ${error.message}`);
  }
  return config;
}

/** The checkpoints of process 1 at `asked` (or all), each verified. */
function checkpointsOf(runDir: string, phase: string, asked: number[] | undefined): number[] {
  const dir = phaseCheckpointDir(runDir, phase);
  const saved = epochFiles(dir).map(epochOf);
  if (saved.length === 0)
    throw new GradscopeInputError(`${runDir} has no checkpoints of ${phase} to branch from`);
  const epochs = asked ?? saved;
  for (const e of epochs)
    if (!saved.includes(e))
      throw new GradscopeInputError(
        `--epochs: ${runDir} has no checkpoint of ${phase} at epoch ${e} (there are: ${saved.join(', ')})`,
      );
  return [...new Set(epochs)].sort((a, b) => a - b);
}

/**
 * Measures the critical batch size at checkpoints of process 1 of the run in `runDir`, writes
 * each branch as it finishes and the result to critical-batch.json, and returns the result.
 *
 * @example
 * ```ts
 * import { makeProgress, measureCriticalBatch } from 'gradscope';
 * const result = await measureCriticalBatch('runs/f1', {
 *   epochs: [5, 10],
 *   batchSizes: [256, 512, 1000, 2000, 5000],
 *   tolerance: { kind: 'absolute', value: 0.01 },
 *   loss: 'train',
 *   seed: 0,
 *   progress: makeProgress({ quiet: false }),
 * });
 * for (const p of result.points) console.log(p.epoch, p.criticalBatch);
 * ```
 */
export async function measureCriticalBatch(
  runDir: string,
  options: CriticalBatchOptions,
): Promise<CriticalBatchResult> {
  const started = process.hrtime.bigint();
  const config = runConfig(runDir);
  const phase = config.piggyback ? 'process1' : 'train';
  checkBatchGrid(options.batchSizes);
  const epochs = checkpointsOf(runDir, phase, options.epochs);
  const data =
    options.data ??
    loadData(config.data, {
      standardise: Boolean(config.standardise),
      ...(config.subset ? { subset: config.subset } : {}),
      ...tokenWindowsFor(networkSpec(config.network)),
    });
  const n = data.train.size;
  const largest = options.batchSizes[options.batchSizes.length - 1]!;
  if (largest > n)
    throw expected(
      `batch sizes of at most the ${n} training examples`,
      '--batch-sizes',
      options.batchSizes.join(','),
    );
  const examples = options.examples ?? n;
  if (examples < largest)
    throw expected(
      `at least the largest batch size (${largest}) of training examples per branch`,
      '--examples',
      examples,
    );
  const sampleSize = options.sampleSize ?? Math.min(DEFAULT_SAMPLE_SIZE, n);
  if (sampleSize > n)
    throw expected(`at most the ${n} training examples`, '--sample-size', sampleSize);
  const lrRule = options.lrRule ?? (config.optimizer.kind === 'adam' ? 'sqrt' : 'linear');
  const sample = uniformBatch(options.seed, 'critical-batch', sampleSize, 0, n).sort();
  const checkpointDir = phaseCheckpointDir(runDir, phase);
  // every checkpoint whole and fit for the data before anything is written
  for (const epoch of epochs) {
    const file = checkpointName(checkpointDir, epoch);
    verifyCheckpoint(file);
    checkNetworkFitsData(checkpointInfo(file).network, data.train);
  }
  const noise = noiseScaleRecords(readMetrics(metricsFile(runDir)), phase);

  makeFolder(criticalBatchDir(runDir));
  const release = acquireLock(
    criticalBatchLock(runDir),
    `the critical-batch analysis of ${runDir}`,
  );
  try {
    removeStaleTemporaries(criticalBatchDir(runDir));
    const points: CriticalPoint[] = [];
    const total = epochs.length * options.batchSizes.length;
    let done = 0;
    for (const epoch of epochs) {
      const file = checkpointName(checkpointDir, epoch);
      const info = checkpointInfo(file);
      const base = epochSettings(config.schedule, epoch, {
        batchSize: config.batchSize,
        learningRate: config.optimizer.lr,
      });
      const startState = measureAt(file, info.network, config, data, sample);
      const branches: CriticalBranch[] = [];
      for (const batchSize of options.batchSizes) {
        done += 1;
        const settings: BranchSettings = {
          checkpoint: { epoch, step: info.step },
          batchSize,
          examples,
          learningRate: branchLearningRate(lrRule, batchSize, base.batchSize, base.learningRate),
          seed: config.seed,
          sampleSize,
          sampleSeed: options.seed,
        };
        const kept = keptBranch(runDir, epoch, batchSize, settings, options.progress);
        const branch =
          kept ??
          (await runBranch(runDir, file, info.network, config, data, sample, settings, options));
        if (!kept) writeBranchResult(runDir, epoch, batchSize, branch);
        branch.loss = branch.diverged
          ? null
          : options.loss === 'train'
            ? branch.trainSampleLoss
            : branch.testLoss;
        branches.push(branch);
        options.progress.line(
          `critical batch ${done}/${total}: epoch ${epoch}, B ${batchSize}: ${branch.steps} steps, ${branch.diverged ? 'diverged' : `loss ${branch.loss!.toFixed(5)}`}${kept ? ' (kept from an earlier run)' : `, ${branch.seconds.toFixed(1)} s`}`,
        );
      }
      const criticalBatch = criticalBatchSize(
        branches.map((b) => ({ batchSize: b.batchSize, loss: b.loss ?? Infinity })),
        options.tolerance,
      );
      points.push({
        epoch,
        step: info.step,
        checkpoint: file,
        batchSize: base.batchSize,
        learningRate: base.learningRate,
        startTrainSampleLoss: startState.train,
        startTestLoss: startState.test,
        criticalBatch,
        lowerBound: criticalBatch === largest,
        ...liveNoiseScaleAt(noise, epoch),
        branches,
      });
    }
    const result: CriticalBatchResult = {
      points,
      definition:
        'Merrill et al. 2025: the largest B of the grid whose loss after the same examples is within the tolerance of every smaller B',
      runDir,
      phase,
      network: config.network,
      data: data.description,
      optimizer: config.optimizer.kind,
      batchSizes: options.batchSizes,
      examples,
      lrRule,
      tolerance: options.tolerance,
      lossKind: options.loss,
      sampleSize,
      seed: options.seed,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
    writeCriticalBatch(runDir, result);
    return result;
  } finally {
    release();
  }
}

/** process 1's live B_simple at the end of `epoch`: its last measurement within that epoch. */
function liveNoiseScaleAt(records: NoiseScaleRecord[], epoch: number): { liveNoiseScale?: number } {
  const last = records.filter((r) => r.epoch <= epoch).pop();
  return last && Number.isFinite(last.simpleNoiseScale)
    ? { liveNoiseScale: last.simpleNoiseScale }
    : {};
}

/** A finished branch of an earlier run with the same settings, or undefined. */
function keptBranch(
  runDir: string,
  epoch: number,
  batchSize: number,
  settings: BranchSettings,
  progress: Progress,
): CriticalBranch | undefined {
  let stored: Record<string, unknown> | undefined;
  try {
    stored = readBranchResult(runDir, epoch, batchSize);
  } catch (error) {
    if (!(error instanceof GradscopeFileError)) throw error;
    progress.line(`gradscope: redoing a branch: ${error.message}`);
    return undefined;
  }
  if (!stored || JSON.stringify(stored.settings) !== JSON.stringify(settings)) return undefined;
  return stored as unknown as CriticalBranch;
}

/** The training sample's and the test set's population-mode measurements of `network`. */
function measure(network: Network, data: StudyData, sample: Int32Array) {
  return {
    train: network.evaluate(data.train, sample, { mode: 'population' }),
    test: network.evaluate(data.test, data.test.all(), { mode: 'population' }),
  };
}

/** The checkpoint's own losses. */
function measureAt(
  file: string,
  spec: NetworkSpec,
  config: TrainConfig,
  data: StudyData,
  sample: Int32Array,
): { train: number; test: number } {
  const network = new Network(spec, { seed: config.seed });
  const optimizer = new Optimizer(network, config.optimizer);
  continueAsArm(file, network, optimizer);
  const m = measure(network, data, sample);
  return { train: m.train.loss, test: m.test.loss };
}

/** One branch from the checkpoint `file`, trained by the training loop as an arm is. */
async function runBranch(
  runDir: string,
  file: string,
  spec: NetworkSpec,
  config: TrainConfig,
  data: StudyData,
  sample: Int32Array,
  settings: BranchSettings,
  options: CriticalBatchOptions,
): Promise<CriticalBranch> {
  const started = process.hrtime.bigint();
  const { epoch, step } = settings.checkpoint;
  const network = new Network(spec, { seed: config.seed });
  const optimizer = new Optimizer(network, config.optimizer);
  const { start, firstEpoch } = continueAsArm(file, network, optimizer);
  const metricsFile = branchMetricsFile(runDir, epoch, settings.batchSize);
  fs.rmSync(metricsFile, { force: true }); // an unfinished branch starts over
  const result = await trainPhase({
    phase: `critical-batch-${settings.batchSize}`,
    network,
    optimizer,
    data,
    seed: config.seed,
    base: { batchSize: settings.batchSize, learningRate: settings.learningRate },
    schedule: { kind: 'constant' },
    start,
    firstEpoch,
    lastEpoch: firstEpoch + Math.ceil(settings.examples / data.train.size),
    examples: settings.examples,
    noiseScaleEvery: 0,
    metricsFile,
    progress: options.progress,
    extra: {},
  });
  const steps = result.state.step - step;
  const diverged = result.status === 'diverged';
  const m = diverged ? undefined : measure(network, data, sample);
  return {
    batchSize: settings.batchSize,
    steps,
    examples: diverged
      ? Math.min(settings.examples, steps * settings.batchSize)
      : settings.examples,
    learningRate: settings.learningRate,
    loss: null,
    trainSampleLoss: m?.train.loss ?? null,
    trainSampleAccuracy: m?.train.accuracy ?? null,
    testLoss: m?.test.loss ?? null,
    testAccuracy: m?.test.accuracy ?? null,
    ...(diverged ? { diverged: result.message } : {}),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    settings,
  };
}
