/**
 * One phase of training (all of a plain run, process 1 of the piggybacked method,
 * or one arm of process 2): epochs of minibatch steps in `train` mode, each epoch
 * visiting every training example once in the seeded permutation of that epoch;
 * at the end of each epoch the test loss and accuracy in `population` mode, a
 * line in metrics.jsonl and a checkpoint. Stops at the last epoch, on convergence
 * (train/convergence.ts: the moving average of test accuracy stops improving), or on
 * divergence (a non-finite or exploding loss, see divergence.ts: the state is not
 * checkpointed, so the last good checkpoint stays). SIGTERM and SIGINT stop it
 * between steps (stop.ts), keeping the last complete epoch's checkpoint.
 *
 * With an examples budget (`examples`: a branch of `analyze critical-batch`) the phase stops once
 * it has trained on that many examples, the last epoch cut short, and may write no checkpoints.
 *
 * Every `noiseScaleEvery` optimizer steps (counted over the whole run, so an arm and a resumed
 * phase measure at the same steps), before that step's gradient, the live noise scale
 * (live-noise-scale.ts) is measured on the step's batch (its first `noiseScaleExamples`) in
 * `population` mode and written to
 * metrics.jsonl and TensorBoard (at the optimizer step); its moving averages are part of the
 * phase state, so a resumed run writes the same records. Training is bit-identical with it on
 * or off.
 *
 * With `switchAt` (process 1), the phase ends at the end of the first epoch whose moving average
 * of B_simple reaches f B2 (switch-rule.ts), judged after the epoch's checkpoint, and again on a
 * resume from a checkpoint (a kill between the checkpoint and the status line). With `ramp` (a
 * ramp arm), each epoch's batch size and learning rate come from the ramp's rule (ramp.ts)
 * instead of the schedule, decided at the epoch's start from the checkpointed state; each change
 * is a `batch-size` record in metrics.jsonl and TensorBoard scalars `ramp/*` at the step.
 */
import * as fs from 'fs';
import { epochPermutation } from '../data/sampler';
import type { StudyData } from '../data/load';
import type { Network } from '../engine/network';
import type { Optimizer } from '../engine/optimizer';
import { checkpointName } from '../store/checkpoint-files';
import { saveNetwork } from '../engine/checkpoint';
import { saveTrainingState } from './training-state';
import { divergenceBound, divergenceReason } from './divergence';
import {
  appendMetrics,
  type BatchSizeRecord,
  type EpochRecord,
  type NoiseScaleRecord,
} from '../store/metrics';
import type { CriticalBatchPoint } from './critical-batch-table';
import {
  criticalBatchAt,
  rampBatchSize,
  rampLearningRate,
  type RampDriver,
  type RampLearningRate,
} from './ramp';
import { describeSwitch, judgeSwitch, liveNoiseScale, type SwitchTarget } from './switch-rule';
import { LiveNoiseScale } from './live-noise-scale';
import {
  EMA_STEPS,
  noiseEstimate,
  normTestRatio,
  NOISE_SCALE_CHUNKS,
  NO_AVERAGES,
  SCALE_FREE,
  isScaleFree,
  simpleNoiseScale,
  updateAverages,
  type NoiseAverages,
} from './noise-scale';
import type { Progress } from './progress';
import { RunStopped, stoppedWork, stopRequested, yieldToSignals } from './stop';
import type { TensorBoardSink } from './tensorboard';
import { epochSettings, type EpochSettings, type ScheduleSpec } from './schedule';
import { amplitudeAt, Smoothout, type SmoothoutSpec } from './smoothout';
import {
  describeConvergence,
  judgeEpoch,
  type Convergence,
  type ConvergenceState,
} from './convergence';

export type { Convergence } from './convergence';

/** What a checkpoint must carry for the phase to continue exactly. */
export interface PhaseState extends ConvergenceState {
  epoch: number;
  step: number;
  /** The loss of the first step (process 1's, for an arm): sets the divergence bound. */
  initialLoss?: number;
  /** The live noise scale's moving averages (process 1's carry on into an arm). */
  noiseScale?: NoiseAverages;
  /** A ramp arm's batch size in the last epoch begun (never shrinks). */
  rampBatch?: number;
}

/** A ramp arm's rule with what it needs resolved (ramp.ts). */
export interface PhaseRamp {
  by: RampDriver;
  factor: number;
  grid: number[];
  learningRate: RampLearningRate;
  lrCap?: number;
  /** With by: critical-batch, the table's points. */
  table?: CriticalBatchPoint[];
}

export interface PhaseOptions {
  phase: string;
  network: Network;
  optimizer: Optimizer;
  data: StudyData;
  seed: number;
  base: EpochSettings;
  schedule: ScheduleSpec;
  smoothout?: SmoothoutSpec;
  /** Epochs run so far (0 for a fresh phase; the branch epoch for an arm). */
  start: PhaseState;
  lastEpoch: number;
  /** Epoch at which the phase began (for annealing and progress); default 0. */
  firstEpoch?: number;
  convergence?: Convergence;
  /** Process 1's switch by the noise scale (switch-rule.ts). */
  switchAt?: SwitchTarget;
  /** A ramp arm's rule: its batch size and learning rate per epoch (`base` is process 1's). */
  ramp?: PhaseRamp;
  /** The live noise scale every this many optimizer steps; 0 or absent: not measured. */
  noiseScaleEvery?: number;
  /** Examples of the step's batch a measurement takes (its first m); absent: all. */
  noiseScaleExamples?: number;
  /**
   * Stop once the phase has trained on this many examples (a branch of `analyze
   * critical-batch`): the epoch it runs out in ends early, its last step cut to what remains,
   * and its record says how many examples it took. Absent: whole epochs.
   */
  examples?: number;
  /** Where each epoch's checkpoint goes; absent: none is written (a branch that a kill redoes
   * whole), and the convergence rule, which needs a checkpoint to branch from, stops nothing. */
  checkpointDir?: string;
  metricsFile: string;
  /** TensorBoard: each epoch's scalars under the phase's name. */
  events?: TensorBoardSink;
  progress: Progress;
  /** Called after each epoch, before its checkpoint, so that work it does (analysis)
   * is redone if the run is killed or stopped before the checkpoint lands. It must not
   * change the training state (population or batch-mode measurements do not). */
  afterEpoch?: (record: EpochRecord, network: Network) => void | Promise<void>;
  /** Facts stored in each checkpoint's metadata. */
  extra: Record<string, unknown>;
}

/** Where a phase runs, for the work the layers above do after each of its epochs (RunOptions'
 * `afterEpoch` in run.ts, e.g. Experiment B). */
export interface PhaseContext {
  phase: string;
  inArm: boolean;
  runDir: string;
  metricsFile: string;
  data: StudyData;
  events: TensorBoardSink;
}

export type PhaseStatus = 'finished' | 'converged' | 'switched' | 'diverged';

export interface PhaseResult {
  status: PhaseStatus;
  state: PhaseState;
  /** The checkpoint holding the last good state (undefined if none was written). */
  checkpoint: string | undefined;
  message: string;
  /** On convergence: the epoch process 2 branches from (its checkpoint is `branchCheckpoint`). */
  branchEpoch?: number;
  branchCheckpoint?: string;
}

export async function trainPhase(o: PhaseOptions): Promise<PhaseResult> {
  const { network, optimizer, data } = o;
  const train = data.train;
  const testIndices = data.test.all();
  const smoothout = o.smoothout ? new Smoothout(network, o.smoothout.adaptive) : undefined;
  const firstEpoch = o.firstEpoch ?? 0;
  if (o.checkpointDir !== undefined) fs.mkdirSync(o.checkpointDir, { recursive: true });
  const state = { ...o.start };
  const every = o.noiseScaleEvery ?? 0;
  if (every > 0 && state.noiseScale !== undefined && !isScaleFree(state.noiseScale)) {
    // a checkpoint of an older gradscope holds the ratio of the plain averages: mixing its sums
    // with the scale-free ones would be neither, so the averages start again here (a phase that
    // measures nothing carries them on untouched)
    delete state.noiseScale;
    o.progress.line(
      `${o.phase}: the live noise scale's moving averages restart at epoch ${state.epoch} (step ${state.step}): the checkpoint holds averages of the older kind (ratio of the plain averages), this gradscope keeps scale-free ones`,
    );
  }
  let checkpoint: string | undefined;
  const live =
    every > 0 ? new LiveNoiseScale(network, NOISE_SCALE_CHUNKS, o.noiseScaleExamples) : undefined;
  const measured = new PendingRecords(o.metricsFile);
  // resumed from a checkpoint after which the switch had fired (killed before its status line)
  if (o.switchAt && o.checkpointDir !== undefined && state.epoch > firstEpoch) {
    const done = switched(o, o.switchAt, state, checkpointName(o.checkpointDir, state.epoch));
    if (done) return done;
  }
  let trained = 0;

  while (state.epoch < o.lastEpoch && (o.examples === undefined || trained < o.examples)) {
    const epoch = state.epoch + 1;
    const started = process.hrtime.bigint();
    const settings = o.ramp
      ? rampSettings(o, o.ramp, state, epoch)
      : epochSettings(o.schedule, epoch, o.base);
    optimizer.learningRate = settings.learningRate;
    const amplitude = o.smoothout
      ? amplitudeAt(o.smoothout, epoch - firstEpoch, o.lastEpoch - firstEpoch)
      : 0;
    const order = epochPermutation(o.seed, epoch, train.size);
    const batchSize = Math.min(settings.batchSize, train.size);
    // the epoch's examples: all of the training set, or what is left of a budget
    const size = o.examples === undefined ? train.size : Math.min(train.size, o.examples - trained);
    const steps = Math.ceil(size / batchSize);
    let lossSum = 0;
    let correct = 0;
    for (let s = 0; s < steps; s++) {
      await yieldToSignals();
      const signal = stopRequested();
      if (signal) {
        measured.flush();
        stopped(o, state, epoch, s, steps, signal);
      }
      const batch = order.subarray(s * batchSize, Math.min(size, (s + 1) * batchSize));
      if (live && state.step % every === 0)
        measured.add(measureNoiseScale(o, live, every, state, epoch, s / steps, batch));
      smoothout?.perturb(amplitude);
      const m = network.gradient(train, batch, { mode: 'train' });
      smoothout?.restore(amplitude);
      if (state.initialLoss === undefined && Number.isFinite(m.loss)) state.initialLoss = m.loss;
      const exploded = divergenceReason(m.loss, divergenceBound(train.classes, state.initialLoss));
      if (exploded) {
        measured.flush();
        return diverged(
          o,
          state,
          checkpoint,
          epoch,
          `training loss ${exploded} at step ${s + 1} of epoch ${epoch}`,
        );
      }
      optimizer.step();
      state.step += 1;
      lossSum += m.lossSum;
      correct += m.correct;
      o.progress.step(o.phase, epoch, o.lastEpoch, s + 1, steps, m.loss);
    }
    measured.flush();
    const test = network.evaluate(data.test, testIndices, { mode: 'population' });
    const testExploded = divergenceReason(
      test.loss,
      divergenceBound(train.classes, state.initialLoss),
    );
    if (testExploded)
      return diverged(
        o,
        state,
        checkpoint,
        epoch,
        `test loss ${testExploded} after epoch ${epoch}`,
      );

    state.epoch = epoch;
    const judged = judgeEpoch(o.convergence, state, epoch, test.accuracy);
    Object.assign(state, judged.state);
    const record: EpochRecord = {
      kind: 'epoch',
      phase: o.phase,
      epoch,
      step: state.step,
      batchSize,
      learningRate: settings.learningRate,
      trainLoss: lossSum / size,
      trainAccuracy: correct / size,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      ...(o.smoothout ? { smoothoutAmplitude: amplitude } : {}),
      ...(size < train.size ? { examples: size } : {}),
    };
    trained += size;
    appendMetrics(o.metricsFile, record);
    o.events?.scalars(o.phase, epoch, epochScalars(record));
    o.progress.line(
      `${o.phase} epoch ${epoch}: B ${batchSize}, train loss ${record.trainLoss.toFixed(4)} acc ${(100 * record.trainAccuracy).toFixed(2)}%, test loss ${test.loss.toFixed(4)} acc ${(100 * test.accuracy).toFixed(2)}%, ${record.seconds.toFixed(1)} s`,
    );
    try {
      await o.afterEpoch?.(record, network);
    } catch (error) {
      if (!(error instanceof RunStopped)) throw error;
      // the epoch's checkpoint is not written: a resume redoes the epoch and its analysis
      const stop = stoppedWork(
        error,
        o.phase,
        ` in the analysis after epoch ${epoch}; epoch ${epoch - 1} is the last complete one (its checkpoint is kept)`,
      );
      recordStop(o, epoch - 1, stop.message);
      throw stop;
    }
    if (o.checkpointDir !== undefined) {
      checkpoint = checkpointName(o.checkpointDir, epoch);
      saveTrainingState(checkpoint, optimizer, { phase: o.phase, state });
      saveNetwork(checkpoint, network, { epoch, step: state.step, extra: o.extra });
    }
    if (o.convergence && judged.converged && o.checkpointDir !== undefined) {
      const branchEpoch = judged.branchEpoch ?? epoch;
      return finish(
        o,
        state,
        checkpoint,
        'converged',
        `test accuracy converged at epoch ${epoch} (${describeConvergence(o.convergence)}): best moving average ${(100 * state.bestTestAccuracy).toFixed(2)}% at epoch ${state.bestEpoch}; branch epoch ${branchEpoch}`,
        { branchEpoch, branchCheckpoint: checkpointName(o.checkpointDir, branchEpoch) },
      );
    }
    // the switch branches from the epoch's checkpoint: a phase without checkpoints (a branch of
    // `analyze critical-batch`) never switches
    if (o.switchAt && checkpoint !== undefined) {
      const done = switched(o, o.switchAt, state, checkpoint);
      if (done) return done;
    }
  }
  return finish(o, state, checkpoint, 'finished', `${o.phase} finished at epoch ${state.epoch}`);
}

/** Ends the phase as `switched` when the noise-scale rule fires on the state's averages. */
function switched(
  o: PhaseOptions,
  target: SwitchTarget,
  state: PhaseState,
  checkpoint: string,
): PhaseResult | undefined {
  const judged = judgeSwitch(target, state.noiseScale);
  if (!judged.switched) return undefined;
  return finish(
    o,
    state,
    checkpoint,
    'switched',
    `process 1 switches after epoch ${state.epoch} (step ${state.step}): ${describeSwitch(target)} (B_simple ${judged.simpleNoiseScale!.toPrecision(4)})`,
    { branchEpoch: state.epoch, branchCheckpoint: checkpoint },
    { simpleNoiseScale: judged.simpleNoiseScale!, switchThreshold: judged.threshold },
  );
}

/**
 * A ramp arm's batch size and learning rate for `epoch`, from the state after epoch - 1; a
 * change (and the arm's first epoch) is a record in metrics.jsonl and TensorBoard.
 */
function rampSettings(
  o: PhaseOptions,
  ramp: PhaseRamp,
  state: PhaseState,
  epoch: number,
): EpochSettings {
  const driver =
    ramp.by === 'noise-scale'
      ? liveNoiseScale(state.noiseScale)
      : criticalBatchAt(ramp.table!, epoch - 1);
  const decision = rampBatchSize(ramp.grid, ramp.factor, state.rampBatch, driver);
  const batchSize = decision.batchSize;
  const learningRate = rampLearningRate(
    ramp.learningRate,
    o.base.learningRate,
    o.base.batchSize,
    batchSize,
    ramp.lrCap,
  );
  if (batchSize !== state.rampBatch) {
    const record: BatchSizeRecord = {
      kind: 'batch-size',
      phase: o.phase,
      epoch,
      step: state.step,
      batchSize,
      previousBatchSize: state.rampBatch ?? o.base.batchSize,
      learningRate,
      by: ramp.by,
      ...(decision.driver !== undefined ? { driver: decision.driver } : {}),
      ...(decision.target !== undefined ? { target: decision.target } : {}),
    };
    appendMetrics(o.metricsFile, record);
    o.events?.scalars(o.phase, state.step, {
      'ramp/batch_size': batchSize,
      'ramp/learning_rate': learningRate,
    });
    o.progress.line(
      `${o.phase} epoch ${epoch}: batch size ${record.previousBatchSize} -> ${batchSize} (${ramp.by} ${decision.driver === undefined ? 'not measured yet' : decision.driver.toPrecision(4)}), learning rate ${learningRate}`,
    );
    state.rampBatch = batchSize;
  }
  return { batchSize, learningRate };
}

/**
 * One live measurement before the step's own gradient: its record (for metrics.jsonl), its
 * scalars in TensorBoard at the optimizer step, its averages into the phase state.
 */
function measureNoiseScale(
  o: PhaseOptions,
  live: LiveNoiseScale,
  every: number,
  state: PhaseState,
  epoch: number,
  /** The share of the epoch's steps already taken. */
  done: number,
  batch: Int32Array,
): NoiseScaleRecord | undefined {
  const started = process.hrtime.bigint();
  const norms = live.measure(o.data.train, batch);
  if (!norms) return undefined;
  const n = o.data.train.size;
  const estimate = noiseEstimate(norms, n);
  const averages = updateAverages(state.noiseScale ?? NO_AVERAGES, estimate, every);
  state.noiseScale = averages;
  const record: NoiseScaleRecord = {
    kind: 'noise-scale',
    phase: o.phase,
    epoch,
    atEpoch: epoch - 1 + done,
    step: state.step,
    batchSize: batch.length,
    chunks: norms.chunks,
    chunkSize: norms.chunkSize,
    gradientSquared: estimate.gradientSquared,
    trace: estimate.trace,
    average: SCALE_FREE,
    scale: estimate.scale,
    emaSteps: EMA_STEPS,
    gradientSquaredAverage: averages.gradientSquared / averages.weight,
    traceAverage: averages.trace / averages.weight,
    simpleNoiseScale: simpleNoiseScale(averages),
    normTest: normTestRatio(averages, batch.length, n),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
  o.events?.scalars(o.phase, state.step, noiseScaleScalars(record));
  return record;
}

/**
 * Measurements' records on their way to metrics.jsonl: written together at most once a second
 * and before anything else the phase writes (an epoch's record, a stop, a divergence), so that
 * measuring at every step does not pay a locked, fsynced append per step (about 4 ms each, a
 * quarter of an F1 step). What is still held at a kill is lost, as a resume drops every line
 * after its checkpoint anyway.
 */
class PendingRecords {
  private held: NoiseScaleRecord[] = [];
  private written = process.hrtime.bigint();

  constructor(private readonly file: string) {}

  add(record: NoiseScaleRecord | undefined): void {
    if (record) this.held.push(record);
    if (process.hrtime.bigint() - this.written >= 1_000_000_000n) this.flush();
  }

  flush(): void {
    appendMetrics(this.file, ...this.held.splice(0));
    this.written = process.hrtime.bigint();
  }
}

/** What TensorBoard shows of a noise-scale measurement (at its optimizer step): the scale-free
 * averages are of |G|^2 / s and tr(Sigma) / s, so their tags say `_scaled`. */
export function noiseScaleScalars(r: NoiseScaleRecord): Record<string, number> {
  const averages = r.average === SCALE_FREE ? '_scaled' : '';
  return {
    'noise_scale/b_simple': r.simpleNoiseScale,
    'noise_scale/norm_test': r.normTest,
    [`noise_scale/gradient_squared${averages}`]: r.gradientSquaredAverage,
    [`noise_scale/trace${averages}`]: r.traceAverage,
    'noise_scale/gradient_squared_single': r.gradientSquared,
    'noise_scale/trace_single': r.trace,
    ...(r.scale !== undefined ? { 'noise_scale/scale_single': r.scale } : {}),
  };
}

/** What TensorBoard shows of an epoch. */
export function epochScalars(r: EpochRecord): Record<string, number> {
  return {
    'loss/train': r.trainLoss,
    'loss/test': r.testLoss,
    'accuracy/train': r.trainAccuracy,
    'accuracy/test': r.testAccuracy,
    learning_rate: r.learningRate,
    batch_size: r.batchSize,
  };
}

function finish(
  o: PhaseOptions,
  state: PhaseState,
  checkpoint: string | undefined,
  status: PhaseStatus,
  message: string,
  branch: { branchEpoch: number; branchCheckpoint: string } | undefined = undefined,
  facts: { simpleNoiseScale: number; switchThreshold: number } | undefined = undefined,
): PhaseResult {
  appendMetrics(o.metricsFile, {
    kind: 'status',
    phase: o.phase,
    epoch: state.epoch,
    status,
    message,
    ...(branch ? { branchEpoch: branch.branchEpoch } : {}),
    ...facts,
  });
  o.progress.line(message);
  return { status, state, checkpoint, message, ...branch };
}

/** Records where the phase stopped and throws RunStopped (the command line says how to resume). */
function stopped(
  o: PhaseOptions,
  state: PhaseState,
  epoch: number,
  step: number,
  steps: number,
  signal: NodeJS.Signals,
): never {
  const message = `${o.phase} stopped by ${signal} before step ${step + 1} of ${steps} in epoch ${epoch}; epoch ${state.epoch} is the last complete one (its checkpoint is kept)`;
  recordStop(o, state.epoch, message);
  throw new RunStopped(signal, message);
}

/** The "stopped" status in metrics.jsonl (a resume drops it with what follows the checkpoint). */
function recordStop(o: PhaseOptions, lastComplete: number, message: string): void {
  appendMetrics(o.metricsFile, {
    kind: 'status',
    phase: o.phase,
    epoch: lastComplete,
    status: 'stopped',
    message,
  });
}

function diverged(
  o: PhaseOptions,
  state: PhaseState,
  checkpoint: string | undefined,
  epoch: number,
  reason: string,
): PhaseResult {
  const message = `${o.phase} diverged: ${reason}; the last good checkpoint is ${checkpoint ?? 'the starting state'} (epoch ${state.epoch})`;
  appendMetrics(o.metricsFile, {
    kind: 'status',
    phase: o.phase,
    epoch,
    status: 'diverged',
    message,
  });
  o.progress.line(`gradscope: ${message}`);
  return { status: 'diverged', state, checkpoint, message };
}
