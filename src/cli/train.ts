/**
 * `gradscope train [--config FILE|thesis] --network F1 --data mnist --batch-size 256 --epochs N
 *   [--optimizer adam|sgd --lr X --momentum M --nesterov --weight-decay W]
 *   [--patience P --threshold T [--window W] [--branch-at end|best]]
 *                                           process 1 stops when the W-epoch moving
 *                                           average of test accuracy converges
 *   [--switch-at-noise-scale F [--switch-batch-size B]]
 *                                           process 1 stops when the live B_simple's moving
 *                                           average reaches F x B (default B: the largest arm)
 *   [--piggyback 256,1000,2000,5000 --arm-epochs E]
 *   [--ramp-noise-scale C] [--ramp-critical-batch FILE]
 *    [--ramp-grid 256,512,1000,2000,5000 --ramp-lr auto|none|sqrt|linear --ramp-lr-cap X]
 *                                           ramp arms beside the fixed ones: the batch size
 *                                           grows with C x B_simple or the table's values
 *   [--increase-batch-at 10,20 | --decay-lr-at 10,20] [--factor F]
 *   [--smoothout A [--adaptive] [--anneal constant|linear]]
 *   [--standardise] [--noise-scale-every N] [--noise-scale-examples M] [--out DIR] [--resume]
 *   [--analysis] [--analysis-every N --analysis-batch-sizes L --arm-analysis-every N
 *    --arm-analysis-batch-sizes L --analysis-samples K --analysis-bn population|batch]`
 *
 * One training run of a study config's first seed: --config (default: the thesis,
 * configs/thesis.yaml, the one source of the study's defaults) gives process 1, the arms'
 * epochs and Experiment B's points, and every flag overrides its value, so that `train
 * --analysis` measures what `run` of the same config measures at the same checkpoints.
 * The arms come from --piggyback alone: without it, a plain run of process 1.
 */
import * as path from 'path';
import { expected } from '../core/errors';
import { DEFAULT_WINDOW } from '../train/convergence';
import { LIMITS } from '../engine/limits';
import { useDevice } from '../engine/device';
import { checkOptimizerSettings, type OptimizerSettings } from '../engine/optimizer';
import { threadsFor } from '../engine/threads';
import { networkSpec } from '../models';
import { loadData } from '../data/load';
import { checkNetworkFitsData } from '../engine/network';
import {
  analysisHook,
  checkAnalysisSchedule,
  type AnalysisSchedule,
} from '../experiments/analysis-schedule';
import { readStudyConfig, thesisStudy, type StudyConfig } from '../experiments/config';
import { trainConfigOf } from '../experiments/train-config';
import { checkTrainConfig, type TrainConfig } from '../train/config';
import { DEFAULT_NOISE_SCALE_EVERY } from '../train/noise-scale';
import { makeProgress } from '../train/progress';
import { resumeCommand, RunStopped, watchStopSignals } from '../train/stop';
import { checkRunDirectory, runTraining } from '../train/run';
import type { ScheduleSpec } from '../train/schedule';
import { DEFAULT_RAMP_GRID, type RampSpec } from '../train/ramp';
import { readCriticalBatchTable } from '../train/critical-batch-table';
import { DIVERGED_EXIT_STATUS } from '../train/divergence';
import {
  absent,
  choice,
  command,
  file,
  flag,
  folder,
  integer,
  list,
  number,
  parsed,
  TRAINING_EXIT_STATUS,
  value,
  type CommandValues,
} from './command';
import { applyThreads, subsetOption } from './options';
import { tokenWindowsFor } from '../engine/data-options';

type TrainValues = CommandValues<typeof trainOptions>;

/** The study config train starts from: --config FILE, or the thesis. */
export function studyFrom(values: Pick<TrainValues, 'config'>): StudyConfig {
  const file = values.config;
  return file === undefined || file === 'thesis' ? thesisStudy() : readStudyConfig(file);
}

/** The study's optimiser when --optimizer names its kind (or none), else that optimiser's own
 * defaults (Adam at 1e-3, SGD at 0.1 with momentum 0.9); then --lr, --weight-decay and, for
 * SGD, --momentum and --nesterov over them. */
function optimizerFrom(values: TrainValues, study: OptimizerSettings): OptimizerSettings {
  const kind = values.optimizer ?? study.kind;
  const o: OptimizerSettings =
    kind === study.kind
      ? { ...study }
      : kind === 'adam'
        ? { kind, lr: 1e-3 }
        : { kind, lr: 0.1, momentum: 0.9 };
  if (values.lr !== undefined) o.lr = values.lr;
  if (values['weight-decay'] !== undefined) o.weightDecay = values['weight-decay'];
  if (o.kind === 'sgd') {
    if (values.momentum !== undefined) o.momentum = values.momentum;
    if (values.nesterov) o.nesterov = true;
  }
  return o;
}

/** The training config that train's options ask for, over the study's first seed, checked. */
export function trainConfigFrom(
  values: TrainValues,
  study: StudyConfig = studyFrom(values),
): TrainConfig {
  // process 1 of the study; its arms only with --piggyback
  const { piggyback: _arms, standardise, ...d } = trainConfigOf(study, study.seeds[0]!);
  const config: TrainConfig = {
    ...d,
    ...(standardise || values.standardise ? { standardise: true } : {}),
    network: values.network ?? d.network,
    data: values.data ?? d.data,
    ...(values.subset ? { subset: { ...d.subset, ...values.subset } } : {}),
    seed: values.seed ?? d.seed,
    optimizer: optimizerFrom(values, d.optimizer),
    batchSize: values['batch-size'] ?? d.batchSize,
    epochs: values.epochs ?? d.epochs,
  };
  if (values['switch-at-noise-scale'] !== undefined && values.patience !== undefined)
    throw expected(
      'one of --switch-at-noise-scale and --patience',
      '--switch-at-noise-scale',
      values['switch-at-noise-scale'],
    );
  // a rule given here replaces the study's rule of the other kind
  if (values.patience !== undefined) delete config.switchAt;
  if (values['switch-at-noise-scale'] !== undefined) {
    delete config.convergence;
    config.switchAt = switchFrom(values['switch-at-noise-scale'], values['switch-batch-size']);
  } else if (values['switch-batch-size'] !== undefined)
    throw expected(
      '--switch-at-noise-scale with it',
      '--switch-batch-size',
      values['switch-batch-size'],
    );
  if (values.patience !== undefined)
    config.convergence = {
      patience: values.patience,
      threshold: values.threshold,
      window: values.window,
      branch: values['branch-at'],
    };
  const factor = values.factor;
  let schedule: ScheduleSpec = { kind: 'constant' };
  if (values['increase-batch-at'] !== undefined && values['decay-lr-at'] !== undefined)
    throw expected(
      'one of --increase-batch-at and --decay-lr-at',
      '--decay-lr-at',
      values['decay-lr-at'].join(','),
    );
  if (values['increase-batch-at'] !== undefined)
    schedule = { kind: 'increasing', at: values['increase-batch-at'], factor };
  if (values['decay-lr-at'] !== undefined)
    schedule = { kind: 'lr-decay', at: values['decay-lr-at'], factor };
  config.schedule = schedule;
  if (values.smoothout !== undefined)
    config.smoothout = {
      amplitude: values.smoothout,
      adaptive: values.adaptive,
      anneal: values.anneal,
    };
  const ramps = rampsFrom(values);
  if (values.piggyback !== undefined)
    config.piggyback = {
      arms: values.piggyback,
      epochs: values['arm-epochs'] ?? study.process2.epochs,
      ...(ramps.length > 0 ? { ramps } : {}),
    };
  else if (ramps.length > 0)
    throw expected(
      '--piggyback with it (a ramp is an arm of process 2, branched from process 1)',
      values['ramp-noise-scale'] !== undefined ? '--ramp-noise-scale' : '--ramp-critical-batch',
      values['ramp-noise-scale'] ?? values['ramp-critical-batch'],
    );
  if (values['noise-scale-every'] !== undefined)
    config.noiseScaleEvery = values['noise-scale-every'];
  if (values['noise-scale-examples'] !== undefined)
    config.noiseScaleExamples = values['noise-scale-examples'];
  if (config.switchAt && config.switchAt.noiseScale.batchSize === undefined && !config.piggyback) {
    // process 1 alone still aims at the study's B2 (the largest arm), as `run` would
    if (values['switch-at-noise-scale'] !== undefined)
      throw expected(
        '--switch-batch-size or --piggyback with it (the B2 it aims at)',
        '--switch-at-noise-scale',
        values['switch-at-noise-scale'],
      );
    config.switchAt = {
      noiseScale: { ...config.switchAt.noiseScale, batchSize: Math.max(...study.process2.arms) },
    };
  }
  const needsLive =
    values['switch-at-noise-scale'] !== undefined
      ? '--switch-at-noise-scale'
      : config.switchAt
        ? "the --config study's process1.switchAt"
        : values['ramp-noise-scale'] !== undefined
          ? '--ramp-noise-scale'
          : undefined;
  if (needsLive && values['noise-scale-every'] === 0)
    throw expected(`the live noise scale (N > 0) with ${needsLive}`, '--noise-scale-every', 0);
  checkOptimizerSettings(config.optimizer, (field) =>
    field === 'kind' ? '--optimizer' : `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
  );
  checkTrainConfig(config);
  return config;
}

/** --switch-at-noise-scale F [--switch-batch-size B], checked under the options' names. */
function switchFrom(fraction: number, batchSize: number | undefined): TrainConfig['switchAt'] {
  if (!(fraction > 0 && fraction <= 1))
    throw expected('a fraction in (0, 1]', '--switch-at-noise-scale', fraction);
  return { noiseScale: { fraction, ...(batchSize !== undefined ? { batchSize } : {}) } };
}

/** The ramp arms that --ramp-noise-scale and --ramp-critical-batch ask for, with the --ramp-*
 * settings they share, checked under the options' names. */
function rampsFrom(values: TrainValues): RampSpec[] {
  const c = values['ramp-noise-scale'];
  const table = values['ramp-critical-batch'];
  const grid = values['ramp-grid'];
  const cap = values['ramp-lr-cap'];
  const shared = {
    ...(grid !== undefined ? { grid } : {}),
    ...(values['ramp-lr'] !== 'auto' ? { lr: values['ramp-lr'] } : {}),
    ...(cap !== undefined ? { lrCap: cap } : {}),
  };
  if (c === undefined && table === undefined) {
    const stray = (['ramp-grid', 'ramp-lr', 'ramp-lr-cap'] as const).find(
      (o) => values[o] !== undefined && values[o] !== 'auto',
    );
    if (stray)
      throw expected(
        '--ramp-noise-scale or --ramp-critical-batch with it',
        `--${stray}`,
        values[stray],
      );
    return [];
  }
  if (c !== undefined && !(c > 0)) throw expected('a positive number', '--ramp-noise-scale', c);
  if (grid !== undefined && grid.some((b, i) => i > 0 && b <= grid[i - 1]!))
    throw expected('batch sizes in increasing order', '--ramp-grid', grid.join(','));
  if (cap !== undefined && !(cap > 0)) throw expected('a positive number', '--ramp-lr-cap', cap);
  // read now, so that a missing or malformed table is refused before the data load
  if (table !== undefined) readCriticalBatchTable(table);
  return [
    ...(c !== undefined ? [{ by: 'noise-scale' as const, factor: c, ...shared }] : []),
    ...(table !== undefined ? [{ by: 'critical-batch' as const, table, ...shared }] : []),
  ];
}

/** Experiment B during training: --analysis for the study's points, or any --*analysis-* option
 * over them. */
export function analysisScheduleFrom(
  values: TrainValues,
  study: StudyConfig = studyFrom(values),
): AnalysisSchedule | undefined {
  const asked = [
    values['analysis-every'],
    values['analysis-batch-sizes'],
    values['arm-analysis-every'],
    values['arm-analysis-batch-sizes'],
    values['analysis-samples'],
    values['analysis-bn'],
  ];
  if (!values.analysis && asked.every((v) => v === undefined)) return undefined;
  const d = study.analysis;
  const schedule: AnalysisSchedule = {
    ...d,
    every: values['analysis-every'] ?? d.every,
    batchSizes: values['analysis-batch-sizes'] ?? d.batchSizes,
    armEvery: values['arm-analysis-every'] ?? d.armEvery,
    armBatchSizes: values['arm-analysis-batch-sizes'] ?? d.armBatchSizes,
    samples: values['analysis-samples'] ?? d.samples,
    mode: values['analysis-bn'] ?? d.mode,
  };
  checkAnalysisSchedule(schedule);
  return schedule;
}

/** Where the help's defaults come from (the study is read only when train runs). */
const OF_STUDY = "the --config study's";

const trainOptions = {
  config: file(
    'FILE|thesis',
    'thesis',
    "the study config whose process 1, arm epochs and Experiment B are train's defaults",
  ),
  network: value(
    'NET',
    `${OF_STUDY} network`,
    'F1, C1, C2, C3, C4, ResNet20, ..., GPT:SIZE=N,..., a .json layer list or a TorchScript .pt (a language model: MODULE.pt:context=N)',
  ),
  data: value('D', `${OF_STUDY} data`, 'mnist, fashion-mnist, or a folder or file of data'),
  subset: parsed(
    'TRAIN[,TEST]',
    `${OF_STUDY} subset (all)`,
    'only the first examples of each set (token data: windows)',
    subsetOption,
  ),
  'batch-size': integer(
    'B',
    absent(`${OF_STUDY} process1.batchSize`),
    'the batch size of process 1',
    {
      max: LIMITS.batchSize,
    },
  ),
  epochs: integer('N', absent(`${OF_STUDY} process1.epochs`), 'epochs of process 1', {
    max: LIMITS.epochs,
  }),
  optimizer: choice(['adam', 'sgd'], absent(`${OF_STUDY} optimizer`), 'the optimizer'),
  lr: number('X', absent(`${OF_STUDY}; else 1e-3 with adam, 0.1 with sgd`), 'the learning rate'),
  momentum: number('M', absent(`${OF_STUDY}; else 0.9`), "SGD's momentum"),
  nesterov: flag("SGD with Nesterov's momentum"),
  'weight-decay': number('W', absent(`${OF_STUDY}; else 0`), 'L2 weight decay'),
  patience: integer(
    'P',
    absent(`${OF_STUDY} process1.convergence; else none: train all --epochs`),
    'stop process 1 when the moving test accuracy has not improved by --threshold for P epochs',
    { max: LIMITS.epochs },
  ),
  threshold: number('T', 0, 'the improvement that counts, with --patience'),
  window: integer('W', DEFAULT_WINDOW, 'epochs in the moving average, with --patience'),
  'branch-at': choice(['end', 'best'], 'end', 'the arms start from the last or the best epoch'),
  'switch-at-noise-scale': number(
    'F',
    absent(`${OF_STUDY} process1.switchAt; else none`),
    'process 1 ends after the first epoch whose moving average of the live B_simple is at least F x B2 (F in (0, 1]; needs --noise-scale-every > 0)',
  ),
  'switch-batch-size': integer(
    'B',
    absent('the largest --piggyback arm'),
    'the B2 of --switch-at-noise-scale',
    { max: LIMITS.batchSize },
  ),
  piggyback: list('LIST', absent('none'), 'batch sizes of the arms branched from process 1'),
  'arm-epochs': integer('E', absent(`${OF_STUDY} process2.epochs`), 'epochs of each arm', {
    max: LIMITS.epochs,
  }),
  'ramp-noise-scale': number(
    'C',
    absent('none'),
    'a ramp arm (with --piggyback): from the branch, each epoch at the largest --ramp-grid batch size at most C x the moving average of B_simple, never shrinking',
  ),
  'ramp-critical-batch': file(
    'FILE',
    'none',
    'a ramp arm (with --piggyback) following a table of critical batch sizes by process-1 epoch: {"points": [{"epoch": E, "criticalBatch": B}, ...]}',
  ),
  'ramp-grid': list(
    'LIST',
    absent(DEFAULT_RAMP_GRID.join(',')),
    "the ramp arms' batch sizes, increasing",
  ),
  'ramp-lr': choice(
    ['auto', 'none', 'sqrt', 'linear'],
    'auto',
    "the ramp arms' learning rate at B: lr, lr sqrt(B/B1) or lr B/B1 (B1 process 1's); auto: none with adam, linear with sgd",
  ),
  'ramp-lr-cap': number('X', absent('none'), "the ramp arms' largest learning rate"),
  'increase-batch-at': list(
    'LIST',
    absent('none'),
    'epochs at which the batch size grows by --factor',
    LIMITS.epochs,
  ),
  'decay-lr-at': list(
    'LIST',
    absent('none'),
    'epochs at which the learning rate falls by --factor',
    LIMITS.epochs,
  ),
  factor: number('F', 5, 'the factor of --increase-batch-at and --decay-lr-at'),
  smoothout: number('A', absent('none'), 'Smoothout: uniform noise of amplitude A on the weights'),
  adaptive: flag("AdaSmoothout: each filter's noise scaled by its norm"),
  anneal: choice(['constant', 'linear'], 'constant', "Smoothout's amplitude over the epochs"),
  standardise: flag("standardise the inputs with the training set's statistics"),
  'noise-scale-every': integer(
    'N',
    absent(String(DEFAULT_NOISE_SCALE_EVERY)),
    'the live gradient noise scale every N optimizer steps (0: off)',
    { min: 0, max: LIMITS.iterations },
  ),
  'noise-scale-examples': integer(
    'M',
    absent("the step's whole batch"),
    "examples of the step's batch each live measurement takes (its first M; fewer: cheaper, noisier)",
    { min: 2, max: LIMITS.batchSize },
  ),
  analysis: flag("Experiment B during training, at the --config study's points"),
  // the study's points where not given; any of them given asks for the analysis
  'analysis-every': integer(
    'N',
    absent(`${OF_STUDY} analysis.every`),
    'process 1 is analysed every N epochs',
    { max: LIMITS.epochs },
  ),
  'analysis-batch-sizes': list(
    'LIST',
    absent(`${OF_STUDY} analysis.batchSizes`),
    'the B of those analyses',
  ),
  'arm-analysis-every': integer(
    'N',
    absent(`${OF_STUDY} analysis.armEvery`),
    'each arm is analysed every N epochs',
    { max: LIMITS.epochs },
  ),
  'arm-analysis-batch-sizes': list(
    'LIST',
    absent(`${OF_STUDY} analysis.armBatchSizes`),
    "the B of the arms' analyses",
  ),
  'analysis-samples': integer(
    'K',
    absent(`${OF_STUDY} analysis.samples`),
    'gradients drawn per B',
    {
      max: LIMITS.samples,
    },
  ),
  'analysis-bn': choice(
    ['population', 'batch'],
    absent(`${OF_STUDY} analysis.mode`),
    'batch norm in the analyses',
  ),
  out: folder('DIR', 'runs/train-NET-TIME', 'the run directory'),
  resume: flag('continue the run in --out from its last checkpoint'),
};

export const trainCommand = command({
  summary: 'train a network (small-batch, piggybacked, increasing-batch, Smoothout); resumable',
  example:
    'gradscope train --network F1 --data mnist --batch-size 256 --epochs 30 --piggyback 1000,5000 --out runs/f1',
  globals: ['threads', 'seed', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  exitStatus: TRAINING_EXIT_STATUS,
  options: trainOptions,
  async run(values, _positionals, log) {
    const study = studyFrom(values);
    const config = trainConfigFrom(values, study);
    const spec = networkSpec(config.network);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const out = values.out ?? path.join('runs', `train-${spec.name}-${stamp}`);
    if (values.resume && values.out === undefined)
      throw expected('the run directory', '--out (with --resume)', undefined);
    checkRunDirectory(out, values.resume);
    // the study's device, as `run` takes it; --device wins
    if (study.device !== undefined && values.device === undefined)
      useDevice(study.device, `${values.config ?? 'thesis'}: device`);
    applyThreads(values.threads, threadsFor(spec));
    const data = loadData(config.data, {
      standardise: Boolean(config.standardise),
      ...(config.subset ? { subset: config.subset } : {}),
      ...tokenWindowsFor(spec),
    });
    checkNetworkFitsData(spec, data.train);
    log.info(`gradscope train: ${spec.name} on ${data.description}; run directory ${out}`);
    const progress = makeProgress({ quiet: log.quiet });
    const analysis = analysisScheduleFrom(values, study);
    watchStopSignals();
    const result = await runTraining(config, out, {
      resume: values.resume,
      progress,
      data,
      ...(analysis
        ? { afterEpoch: analysisHook(analysis, config.seed, progress), alsoRecord: { analysis } }
        : {}),
    }).catch((error: unknown) => {
      if (error instanceof RunStopped) error.resume = resumeCommand(out);
      throw error;
    });
    if (!log.json) process.stdout.write(`${result.runDir}\n`);
    const diverged = result.phases.filter((p) => p.status === 'diverged').map((p) => p.phase);
    if (diverged.length > 0) {
      // said even with --quiet: it is why the exit status is not 0
      process.stderr.write(
        `gradscope: ${diverged.join(', ')} diverged (metrics.jsonl says how); exit status ${DIVERGED_EXIT_STATUS}\n`,
      );
      process.exitCode = DIVERGED_EXIT_STATUS;
    }
    return result;
  },
});
