/**
 * A training run: the whole training loop, from a TrainConfig to a run directory.
 *
 *   runTraining(config, runDir, options)
 *     check the config; load the data (or take options.data); take the directory's lock
 *     config.json: written on a fresh start; on --resume it must match (else refused)
 *     phase "train" (a plain run) or "process1" (the piggybacked method), trainPhase
 *     (phase.ts), epoch by epoch:
 *       one seeded permutation of the training set, visited in steps of B (the schedule
 *       may grow B or decay the learning rate; Smoothout perturbs w around each gradient)
 *       test loss and accuracy; a line in metrics.jsonl; TensorBoard scalars
 *       afterEpoch (from the layers above: Experiment B), before the checkpoint, so a
 *       kill redoes it
 *       checkpoint: network and training state (optimiser, RNG, phase state)
 *       stop at the last epoch, on convergence (convergence.ts), on divergence
 *       (divergence.ts: the bad state is not saved), or on SIGTERM/SIGINT (stop.ts)
 *     with piggyback: the branch (checkpoints/branch.safetensors = process 1 at its
 *     branch epoch: the last, or the convergence rule's, or the noise-scale switch's), then
 *     one arm per B2, each starting from the branch with the same optimiser state, at
 *     constant B2, then each ramp arm (ramp.ts) from the same branch, its batch size growing
 *
 * A phase whose metrics end with a terminal status is skipped; an unfinished one continues
 * from its last complete checkpoint and drops the metrics written after it, so a resumed
 * run ends bit-identical to an uninterrupted one (same seed and threads). `only` runs one
 * phase alone (a piece of a study). Files of the run directory:
 *
 *   config.json                 the resolved config (a resume must match it)
 *   metrics.jsonl               one line per epoch and per status
 *   checkpoints/<phase>/epoch-NNNN.safetensors (+ .train.safetensors)
 *   checkpoints/branch.safetensors             process 1's final state (piggyback)
 *   tensorboard/<phase>/events.out.tfevents.*  TensorBoard's view of the same, as it goes
 *
 * Their paths and files are src/store/'s.
 */
import * as fs from 'fs';
import { loadData, type StudyData } from '../data/load';
import { GradscopeInputError } from '../core/errors';
import { checkNetworkFitsData, Network } from '../engine/network';
import { Optimizer } from '../engine/optimizer';
import { lockRunDirectory } from '../core/lock';
import { networkSpec } from '../models';
import { removeStaleTemporaries } from '../core/stale-temporaries';
import { ensureBranch } from './branch';
import { continueAsArm, FRESH_RULE } from './arm-start';
import { loadNetwork } from '../engine/checkpoint';
import { recordedTables, storedTables } from './recorded-tables';
import { loadTrainingState } from './training-state';
import { checkpointName } from '../store/checkpoint-files';
import { readConfigFile, holdsRun, writeConfigFile } from '../store/config-file';
import { latestVerifiedCheckpoint } from '../store/latest-checkpoint';
import {
  branchFile,
  metricsFile as metricsFileOf,
  phaseCheckpointDir,
  tensorboardDir,
} from '../store/run-paths';
import { checkTrainConfig, noiseScaleEveryOf, type TrainConfig } from './config';
import { appendMetrics, readMetrics, phaseEnd, truncateMetrics } from '../store/metrics';
import { readCriticalBatchTable, type CriticalBatchPoint } from './critical-batch-table';
import { rampGrid, rampLearningRateRule, rampPhase } from './ramp';
import { switchTarget } from './switch-rule';
import {
  trainPhase,
  type PhaseContext,
  type PhaseOptions,
  type PhaseResult,
  type PhaseState,
} from './phase';
import type { Progress } from './progress';
import { TensorBoardSink } from './tensorboard';
import { tokenWindowsFor } from '../engine/data-options';

export interface PhaseSummary {
  phase: string;
  status: string;
  epoch: number;
  checkpoint: string | undefined;
  /** Where process 2 branches, when the convergence rule chose an earlier epoch than the last. */
  branchEpoch?: number;
  branchCheckpoint?: string;
}

export interface TrainResult {
  runDir: string;
  phases: PhaseSummary[];
}

export interface RunOptions {
  resume: boolean;
  progress: Progress;
  /** Already loaded data (the CLI and tests may share it); loaded from config.data otherwise. */
  data?: StudyData;
  /** Work after each epoch of each phase, e.g. Experiment B (from the layers above). */
  afterEpoch?: (context: PhaseContext) => PhaseOptions['afterEpoch'];
  /** More settings to record in config.json beside the training config (and to match on resume). */
  alsoRecord?: Record<string, unknown>;
  /** Where TensorBoard events go; default: a sink at `<runDir>/tensorboard/<phase>/`. */
  events?: TensorBoardSink;
  /**
   * One phase alone ("process1", "arm-<B2>" or "ramp-<name>": a piece of a study). Process 1 then ends
   * with the branch file, the hand-over to the arms; an arm needs process 1 done. The
   * caller holds the piece's lock, so the directory's run.lock is not taken (arms of one
   * seed may run in parallel).
   */
  only?: string;
}

const FRESH: PhaseState = { epoch: 0, step: 0, ...FRESH_RULE };

/** A fresh run needs a directory without a run in it; a resumed one needs a run there. */
export function checkRunDirectory(runDir: string, resume: boolean): void {
  if (resume && !holdsRun(runDir))
    throw new GradscopeInputError(`--resume: ${runDir} holds no run to resume (no config.json)`);
  if (!resume && holdsRun(runDir))
    throw new GradscopeInputError(
      `${runDir} already holds a run; use --resume to continue it or choose another --out`,
    );
}

function prepareRunDir(
  runDir: string,
  recorded: Record<string, unknown>,
  resume: boolean,
  description: string,
  vocabulary?: string[],
): void {
  checkRunDirectory(runDir, resume);
  if (resume) {
    const stored = readConfigFile(runDir);
    stored.config = storedTables(stored.config, runDir);
    for (const [key, value] of Object.entries(recorded))
      if (JSON.stringify(stored[key]) !== JSON.stringify(value))
        throw new GradscopeInputError(
          `--resume: the ${key} settings differ from the run's config.json (${JSON.stringify(stored[key])}); resume with the same options`,
        );
    return;
  }
  fs.mkdirSync(runDir, { recursive: true });
  writeConfigFile(runDir, recorded, description, vocabulary);
}

/**
 * Trains under the run directory's lock (src/core/lock.ts), taken before config.json
 * is checked or written: a second writer, or a second fresh start in the same moment,
 * is refused instead of appending to the same files.
 *
 * @example
 * ```ts
 * import { defaultTrainConfig, makeProgress, runTraining } from 'gradscope';
 * const config = {
 *   ...defaultTrainConfig(),
 *   network: 'F1',
 *   batchSize: 256,
 *   epochs: 10,
 *   piggyback: { arms: [1000, 5000], epochs: 5 },
 * };
 * const result = await runTraining(config, 'runs/f1-piggyback', {
 *   resume: false,
 *   progress: makeProgress({ quiet: false }),
 * });
 * for (const phase of result.phases) console.log(phase.phase, phase.status, phase.checkpoint);
 * ```
 */
export async function runTraining(
  config: TrainConfig,
  runDir: string,
  options: RunOptions,
): Promise<TrainResult> {
  checkTrainConfig(config);
  const spec = networkSpec(config.network);
  const data =
    options.data ??
    loadData(config.data, {
      standardise: Boolean(config.standardise),
      ...(config.subset ? { subset: config.subset } : {}),
      ...tokenWindowsFor(spec),
    });
  checkNetworkFitsData(spec, data.train);
  if (options.resume) checkRunDirectory(runDir, true);
  const tables = criticalBatchTables(config, options.only);
  const release = options.only === undefined ? lockRunDirectory(runDir) : () => {};
  try {
    return await trainLocked(config, runDir, { ...options, data }, tables);
  } finally {
    release();
  }
}

/** The critical-batch tables of the ramp arms that will run, read (and checked) before anything
 * is written; by file. */
function criticalBatchTables(
  config: TrainConfig,
  only: string | undefined,
): Map<string, CriticalBatchPoint[]> {
  const tables = new Map<string, CriticalBatchPoint[]>();
  for (const r of config.piggyback?.ramps ?? [])
    if (r.by === 'critical-batch' && (only === undefined || only === rampPhase(r)))
      tables.set(r.table!, readCriticalBatchTable(r.table!));
  return tables;
}

async function trainLocked(
  config: TrainConfig,
  runDir: string,
  options: RunOptions,
  tables: Map<string, CriticalBatchPoint[]>,
): Promise<TrainResult> {
  const spec = networkSpec(config.network);
  const data = options.data!;
  prepareRunDir(
    runDir,
    { config: recordedTables(config, runDir), ...options.alsoRecord },
    options.resume,
    data.description,
    data.vocabulary,
  );
  // left by a process killed mid-write; a piece alone cleans only its own phase's folder, since
  // another piece may be writing elsewhere in the directory from another machine, whose pids
  // cannot be checked from here
  removeStaleTemporaries(
    options.only === undefined ? runDir : phaseCheckpointDir(runDir, options.only),
  );
  const metricsFile = metricsFileOf(runDir);
  const events = options.events ?? new TensorBoardSink(tensorboardDir(runDir));
  const extra = {
    network: spec.name,
    data: config.data,
    dataFound: data.description,
    standardise: Boolean(config.standardise),
    ...(config.subset ? { subset: config.subset } : {}),
    seed: config.seed,
  };
  const phases: PhaseSummary[] = [];

  /** Runs one phase, continuing from its last checkpoint (or `from`) when resuming. */
  const phase = async (
    name: string,
    from: string | undefined,
    lastEpoch: number,
    settings: Pick<
      Parameters<typeof trainPhase>[0],
      'base' | 'schedule' | 'smoothout' | 'convergence' | 'switchAt' | 'ramp'
    >,
  ): Promise<PhaseResult | undefined> => {
    const records = readMetrics(metricsFile);
    const done = phaseEnd(records, name);
    const dir = phaseCheckpointDir(runDir, name);
    if (done) {
      phases.push({
        phase: name,
        status: String(done.status),
        epoch: Number(done.epoch),
        checkpoint: latestVerifiedCheckpoint(dir),
        ...(done.branchEpoch !== undefined
          ? {
              branchEpoch: done.branchEpoch,
              branchCheckpoint: checkpointName(dir, done.branchEpoch),
            }
          : {}),
      });
      return undefined;
    }
    if (options.only !== undefined && options.only !== name)
      throw new GradscopeInputError(
        `${name} of ${runDir} is not done; it must finish before ${options.only} can start`,
      );
    const network = new Network(spec, { seed: config.seed });
    const optimizer = new Optimizer(network, config.optimizer);
    let start: PhaseState = { ...FRESH };
    let firstEpoch = 0;
    const resumeFrom = (options.resume && latestVerifiedCheckpoint(dir)) || from;
    if (from) {
      // the arm keeps process 1's step count, divergence bound and noise-scale averages; its
      // convergence rule starts fresh
      ({ start, firstEpoch } = continueAsArm(from, network, optimizer));
    }
    if (resumeFrom && resumeFrom !== from) {
      loadNetwork(resumeFrom, network);
      start = (loadTrainingState(resumeFrom, optimizer).extra as { state: PhaseState }).state;
    }
    truncateMetrics(
      metricsFile,
      (r) => r.phase !== name || (Number(r.epoch) <= start.epoch && r.kind !== 'status'),
    );
    const result = await trainPhase({
      phase: name,
      network,
      optimizer,
      data,
      seed: config.seed,
      ...settings,
      start,
      firstEpoch,
      lastEpoch,
      noiseScaleEvery: noiseScaleEveryOf(config),
      ...(config.noiseScaleExamples !== undefined
        ? { noiseScaleExamples: config.noiseScaleExamples }
        : {}),
      checkpointDir: dir,
      metricsFile,
      events,
      progress: options.progress,
      extra: { ...extra, phase: name },
      ...(options.afterEpoch
        ? {
            afterEpoch: options.afterEpoch({
              phase: name,
              inArm: from !== undefined,
              runDir,
              metricsFile,
              data,
              events,
            }),
          }
        : {}),
    });
    phases.push({
      phase: name,
      status: result.status,
      epoch: result.state.epoch,
      checkpoint: result.checkpoint,
      ...(result.branchEpoch !== undefined
        ? { branchEpoch: result.branchEpoch, branchCheckpoint: result.branchCheckpoint }
        : {}),
    });
    return result;
  };

  const base = { batchSize: config.batchSize, learningRate: config.optimizer.lr };
  const first = config.piggyback ? 'process1' : 'train';
  await phase(first, undefined, config.epochs, {
    base,
    schedule: config.schedule,
    smoothout: config.smoothout,
    convergence: config.convergence,
    switchAt: config.switchAt && switchTarget(config.switchAt, config.piggyback?.arms),
  });
  if (!config.piggyback) return { runDir, phases };

  const branch = branchFile(runDir);
  const process1 = phases[0]!;
  if (process1.status === 'diverged' || !process1.checkpoint) return { runDir, phases };
  // process 1's checkpoint at the branch epoch (the last one, unless the convergence rule
  // chose an earlier one), verified; written (again) if a kill or damage took it
  const branchEpoch = process1.branchEpoch ?? process1.epoch;
  ensureBranch(branch, checkpointName(phaseCheckpointDir(runDir, first), branchEpoch));
  const branched = readMetrics(metricsFile).some(
    (r) => r.kind === 'status' && r.phase === 'process1' && r.status === 'branched',
  );
  if (!branched)
    appendMetrics(metricsFile, {
      kind: 'status',
      phase: 'process1',
      epoch: branchEpoch,
      status: 'branched',
      message: `process 2 branches from epoch ${branchEpoch}${branchReason(config, process1.status)}`,
      branchEpoch,
    });
  if (options.only === first) return { runDir, phases };
  for (const b2 of config.piggyback.arms) {
    if (options.only !== undefined && options.only !== `arm-${b2}`) continue;
    await phase(`arm-${b2}`, branch, branchEpoch + config.piggyback.epochs, {
      base: { batchSize: b2, learningRate: config.optimizer.lr },
      schedule: { kind: 'constant' },
      smoothout: undefined,
      convergence: undefined,
    });
  }
  for (const ramp of config.piggyback.ramps ?? []) {
    const name = rampPhase(ramp);
    if (options.only !== undefined && options.only !== name) continue;
    await phase(name, branch, branchEpoch + config.piggyback.epochs, {
      base,
      schedule: { kind: 'constant' },
      smoothout: undefined,
      convergence: undefined,
      ramp: {
        by: ramp.by,
        factor: ramp.factor ?? 1,
        grid: rampGrid(ramp),
        learningRate: rampLearningRateRule(ramp, config.optimizer),
        ...(ramp.lrCap !== undefined ? { lrCap: ramp.lrCap } : {}),
        ...(ramp.by === 'critical-batch' ? { table: tables.get(ramp.table!)! } : {}),
      },
    });
  }
  return { runDir, phases };
}

/** Why process 1 ended where it did, for the branched line. */
function branchReason(config: TrainConfig, status: string): string {
  if (config.convergence)
    return status === 'converged'
      ? ' (chosen by the convergence rule)'
      : ' (the last epoch: the convergence rule did not fire)';
  if (config.switchAt)
    return status === 'switched'
      ? ' (chosen by the noise-scale switch rule)'
      : ' (the last epoch: the noise-scale switch rule did not fire)';
  return ' (the last epoch of a fixed count)';
}
