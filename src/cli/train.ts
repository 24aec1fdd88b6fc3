/**
 * `gradscope train [--config FILE|thesis] --network F1 --data mnist --batch-size 256 --epochs N
 *   [--optimizer adam|sgd --lr X --momentum M --nesterov --weight-decay W]
 *   [--patience P --threshold T [--window W] [--branch-at end|best]]
 *                                           process 1 stops when the W-epoch moving
 *                                           average of test accuracy converges
 *   [--piggyback 256,1000,2000,5000 --arm-epochs E]
 *   [--increase-batch-at 10,20 | --decay-lr-at 10,20] [--factor F]
 *   [--smoothout A [--adaptive] [--anneal constant|linear]]
 *   [--standardise] [--noise-scale-every N] [--out DIR] [--resume]
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
import { flag, value, type Command } from './command';
import { applyThreads, integerList, integerOption, numberOption } from './options';

/** --branch-at end|best. */
function branchAt(given: unknown): 'end' | 'best' {
  if (given === undefined || given === 'end') return 'end';
  if (given === 'best') return 'best';
  throw expected('end or best', '--branch-at', given);
}

/** The study config train starts from: --config FILE, or the thesis. */
export function studyFrom(values: Record<string, unknown>): StudyConfig {
  const file = values.config as string | undefined;
  return file === undefined || file === 'thesis' ? thesisStudy() : readStudyConfig(file);
}

/** The study's optimiser when --optimizer names its kind (or none), else that optimiser's own
 * defaults (Adam at 1e-3, SGD at 0.1 with momentum 0.9); then --lr, --weight-decay and, for
 * SGD, --momentum and --nesterov over them. */
function optimizerFrom(values: Record<string, unknown>, study: OptimizerSettings) {
  const kind = (values.optimizer as string | undefined) ?? study.kind;
  if (kind !== 'adam' && kind !== 'sgd') throw expected('adam or sgd', '--optimizer', kind);
  const o: OptimizerSettings =
    kind === study.kind
      ? { ...study }
      : kind === 'adam'
        ? { kind, lr: 1e-3 }
        : { kind, lr: 0.1, momentum: 0.9 };
  o.lr = numberOption(values.lr, '--lr', o.lr);
  if (values['weight-decay'] !== undefined)
    o.weightDecay = numberOption(values['weight-decay'], '--weight-decay', 0);
  if (o.kind === 'sgd') {
    if (values.momentum !== undefined) o.momentum = numberOption(values.momentum, '--momentum', 0);
    if (values.nesterov) o.nesterov = true;
  }
  return o;
}

/** The training config that train's options ask for, over the study's first seed, checked. */
export function trainConfigFrom(
  values: Record<string, unknown>,
  study: StudyConfig = studyFrom(values),
): TrainConfig {
  // process 1 of the study; its arms only with --piggyback
  const { piggyback: _arms, standardise, ...d } = trainConfigOf(study, study.seeds[0]!);
  const config: TrainConfig = {
    ...d,
    ...(standardise || values.standardise ? { standardise: true } : {}),
    network: (values.network as string | undefined) ?? d.network,
    data: (values.data as string | undefined) ?? d.data,
    seed: integerOption(values.seed, '--seed', d.seed, 0),
    optimizer: optimizerFrom(values, d.optimizer),
    batchSize: integerOption(
      values['batch-size'],
      '--batch-size',
      d.batchSize,
      1,
      LIMITS.batchSize,
    ),
    epochs: integerOption(values.epochs, '--epochs', d.epochs, 1, LIMITS.epochs),
  };
  if (values.patience !== undefined)
    config.convergence = {
      patience: integerOption(values.patience, '--patience', 1, 1, LIMITS.epochs),
      threshold: numberOption(values.threshold, '--threshold', 0),
      window: integerOption(values.window, '--window', DEFAULT_WINDOW, 1),
      branch: branchAt(values['branch-at']),
    };
  const factor = numberOption(values.factor, '--factor', 5);
  let schedule: ScheduleSpec = { kind: 'constant' };
  if (values['increase-batch-at'] !== undefined && values['decay-lr-at'] !== undefined)
    throw expected(
      'one of --increase-batch-at and --decay-lr-at',
      '--decay-lr-at',
      values['decay-lr-at'],
    );
  if (values['increase-batch-at'] !== undefined)
    schedule = {
      kind: 'increasing',
      at: integerList(values['increase-batch-at'], '--increase-batch-at', LIMITS.epochs),
      factor,
    };
  if (values['decay-lr-at'] !== undefined)
    schedule = {
      kind: 'lr-decay',
      at: integerList(values['decay-lr-at'], '--decay-lr-at', LIMITS.epochs),
      factor,
    };
  config.schedule = schedule;
  if (values.smoothout !== undefined) {
    const anneal = (values.anneal as string | undefined) ?? 'constant';
    config.smoothout = {
      amplitude: numberOption(values.smoothout, '--smoothout', 0),
      adaptive: Boolean(values.adaptive),
      anneal: anneal as 'constant' | 'linear',
    };
  }
  if (values.piggyback !== undefined)
    config.piggyback = {
      arms: integerList(values.piggyback, '--piggyback'),
      epochs: integerOption(
        values['arm-epochs'],
        '--arm-epochs',
        study.process2.epochs,
        1,
        LIMITS.epochs,
      ),
    };
  if (values['noise-scale-every'] !== undefined)
    config.noiseScaleEvery = integerOption(
      values['noise-scale-every'],
      '--noise-scale-every',
      DEFAULT_NOISE_SCALE_EVERY,
      0,
      LIMITS.iterations,
    );
  checkOptimizerSettings(config.optimizer, (field) =>
    field === 'kind' ? '--optimizer' : `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
  );
  checkTrainConfig(config);
  return config;
}

/** Experiment B during training: --analysis for the study's points, or any --*analysis-* option
 * over them. */
export function analysisScheduleFrom(
  values: Record<string, unknown>,
  study: StudyConfig = studyFrom(values),
): AnalysisSchedule | undefined {
  const keys = Object.keys(values).filter(
    (k) => k.includes('analysis') && values[k] !== undefined && values[k] !== false,
  );
  if (keys.length === 0) return undefined;
  const d = study.analysis;
  const list = (key: string, fallback: number[]) =>
    values[key] === undefined ? fallback : integerList(values[key], `--${key}`);
  const mode = (values['analysis-bn'] as string | undefined) ?? d.mode;
  if (mode !== 'population' && mode !== 'batch')
    throw expected('population or batch', '--analysis-bn', mode);
  const schedule: AnalysisSchedule = {
    ...d,
    every: integerOption(values['analysis-every'], '--analysis-every', d.every, 1, LIMITS.epochs),
    batchSizes: list('analysis-batch-sizes', d.batchSizes),
    armEvery: integerOption(
      values['arm-analysis-every'],
      '--arm-analysis-every',
      d.armEvery,
      1,
      LIMITS.epochs,
    ),
    armBatchSizes: list('arm-analysis-batch-sizes', d.armBatchSizes),
    samples: integerOption(
      values['analysis-samples'],
      '--analysis-samples',
      d.samples,
      1,
      LIMITS.samples,
    ),
    mode,
  };
  checkAnalysisSchedule(schedule);
  return schedule;
}

/** Where the help's defaults come from. */
const OF_STUDY = "the --config study's";

export const trainCommand: Command = {
  summary: 'train a network (small-batch, piggybacked, increasing-batch, Smoothout); resumable',
  example:
    'gradscope train --network F1 --data mnist --batch-size 256 --epochs 30 --piggyback 1000,5000 --out runs/f1',
  globals: ['threads', 'seed', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  options: {
    config: value(
      'FILE|thesis',
      'thesis',
      "the study config whose process 1, arm epochs and Experiment B are train's defaults",
    ),
    network: value(
      'NET',
      `${OF_STUDY} network`,
      'F1, C1, C2, C3, C4, ResNet20, ..., a .json layer list or a TorchScript .pt',
    ),
    data: value('D', `${OF_STUDY} data`, 'mnist, fashion-mnist, or a folder or file of data'),
    'batch-size': value('B', `${OF_STUDY} process1.batchSize`, 'the batch size of process 1'),
    epochs: value('N', `${OF_STUDY} process1.epochs`, 'epochs of process 1'),
    optimizer: value('adam|sgd', `${OF_STUDY} optimizer`, 'the optimizer'),
    lr: value('X', `${OF_STUDY}; else 1e-3 with adam, 0.1 with sgd`, 'the learning rate'),
    momentum: value('M', `${OF_STUDY}; else 0.9`, "SGD's momentum"),
    nesterov: flag("SGD with Nesterov's momentum"),
    'weight-decay': value('W', `${OF_STUDY}; else 0`, 'L2 weight decay'),
    patience: value(
      'P',
      `${OF_STUDY} process1.convergence; else none: train all --epochs`,
      'stop process 1 when the moving test accuracy has not improved by --threshold for P epochs',
    ),
    threshold: value('T', '0', 'the improvement that counts, with --patience'),
    window: value('W', String(DEFAULT_WINDOW), 'epochs in the moving average, with --patience'),
    'branch-at': value('end|best', 'end', 'the arms start from the last or the best epoch'),
    piggyback: value('LIST', 'none', 'batch sizes of the arms branched from process 1'),
    'arm-epochs': value('E', `${OF_STUDY} process2.epochs`, 'epochs of each arm'),
    'increase-batch-at': value('LIST', 'none', 'epochs at which the batch size grows by --factor'),
    'decay-lr-at': value('LIST', 'none', 'epochs at which the learning rate falls by --factor'),
    factor: value('F', '5', 'the factor of --increase-batch-at and --decay-lr-at'),
    smoothout: value('A', 'none', 'Smoothout: uniform noise of amplitude A on the weights'),
    adaptive: flag("AdaSmoothout: each filter's noise scaled by its norm"),
    anneal: value('constant|linear', 'constant', "Smoothout's amplitude over the epochs"),
    standardise: flag("standardise the inputs with the training set's statistics"),
    'noise-scale-every': value(
      'N',
      String(DEFAULT_NOISE_SCALE_EVERY),
      'the live gradient noise scale every N optimizer steps (0: off)',
    ),
    analysis: flag("Experiment B during training, at the --config study's points"),
    'analysis-every': value(
      'N',
      `${OF_STUDY} analysis.every`,
      'process 1 is analysed every N epochs',
    ),
    'analysis-batch-sizes': value(
      'LIST',
      `${OF_STUDY} analysis.batchSizes`,
      'the B of those analyses',
    ),
    'arm-analysis-every': value(
      'N',
      `${OF_STUDY} analysis.armEvery`,
      'each arm is analysed every N epochs',
    ),
    'arm-analysis-batch-sizes': value(
      'LIST',
      `${OF_STUDY} analysis.armBatchSizes`,
      "the B of the arms' analyses",
    ),
    'analysis-samples': value('K', `${OF_STUDY} analysis.samples`, 'gradients drawn per B'),
    'analysis-bn': value(
      'population|batch',
      `${OF_STUDY} analysis.mode`,
      'batch norm in the analyses',
    ),
    out: value('DIR', 'runs/train-NET-TIME', 'the run directory'),
    resume: flag('continue the run in --out from its last checkpoint'),
  },
  async run(values, _positionals, log) {
    const study = studyFrom(values);
    const config = trainConfigFrom(values, study);
    const spec = networkSpec(config.network);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const out =
      (values.out as string | undefined) ?? path.join('runs', `train-${spec.name}-${stamp}`);
    if (values.resume && values.out === undefined)
      throw expected('the run directory', '--out (with --resume)', undefined);
    checkRunDirectory(out, Boolean(values.resume));
    // the study's device, as `run` takes it; --device wins
    if (study.device !== undefined && values.device === undefined)
      useDevice(study.device, `${String(values.config)}: device`);
    applyThreads(values.threads, threadsFor(spec));
    const data = loadData(config.data, { standardise: Boolean(config.standardise) });
    checkNetworkFitsData(spec, data.train);
    log.info(`gradscope train: ${spec.name} on ${data.description}; run directory ${out}`);
    const progress = makeProgress({ quiet: log.quiet });
    const analysis = analysisScheduleFrom(values, study);
    watchStopSignals();
    const result = await runTraining(config, out, {
      resume: Boolean(values.resume),
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
    return result;
  },
};
