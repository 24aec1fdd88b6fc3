/**
 * `gradscope train --network F1 --data mnist --batch-size 256 --epochs N
 *   [--optimizer adam|sgd --lr X --momentum M --nesterov --weight-decay W]
 *   [--patience P --threshold T [--window W] [--branch-at end|best]]
 *                                           process 1 stops when the W-epoch moving
 *                                           average of test accuracy converges
 *   [--piggyback 256,1000,2000,5000 --arm-epochs E]
 *   [--increase-batch-at 10,20 | --decay-lr-at 10,20] [--factor F]
 *   [--smoothout A [--adaptive] [--anneal constant|linear]]
 *   [--standardise] [--out DIR] [--resume]
 *   [--analysis] [--analysis-every N --analysis-batch-sizes L --arm-analysis-every N
 *    --arm-analysis-batch-sizes L --analysis-samples K --analysis-bn population|batch]`
 */
import * as path from 'path';
import { expected } from '../core/errors';
import { DEFAULT_WINDOW } from '../train/convergence';
import { LIMITS } from '../engine/limits';
import { checkOptimizerSettings } from '../engine/optimizer';
import { threadsFor } from '../engine/threads';
import { networkSpec } from '../models';
import { loadData } from '../data/load';
import { checkNetworkFitsData } from '../engine/network';
import {
  analysisHook,
  checkAnalysisSchedule,
  thesisAnalysis,
  type AnalysisSchedule,
} from '../experiments/analysis-schedule';
import { checkTrainConfig, defaultTrainConfig, type TrainConfig } from '../train/config';
import { makeProgress } from '../train/progress';
import { resumeCommand, RunStopped, watchStopSignals } from '../train/stop';
import { checkRunDirectory, runTraining } from '../train/run';
import type { ScheduleSpec } from '../train/schedule';
import { DIVERGED_EXIT_STATUS } from '../train/divergence';
import { flag, TRAINING_EXIT_STATUS, value, type Command } from './command';
import { applyThreads, integerList, integerOption, numberOption } from './options';

/** --branch-at end|best. */
function branchAt(given: unknown): 'end' | 'best' {
  if (given === undefined || given === 'end') return 'end';
  if (given === 'best') return 'best';
  throw expected('end or best', '--branch-at', given);
}

/** The training config that train's options ask for, checked. */
export function trainConfigFrom(values: Record<string, unknown>): TrainConfig {
  const d = defaultTrainConfig();
  const kind = (values.optimizer as string | undefined) ?? 'adam';
  if (kind !== 'adam' && kind !== 'sgd') throw expected('adam or sgd', '--optimizer', kind);
  const lr = numberOption(values.lr, '--lr', kind === 'adam' ? 1e-3 : 0.1);
  const weightDecay = numberOption(values['weight-decay'], '--weight-decay', 0);
  const config: TrainConfig = {
    ...d,
    network: (values.network as string | undefined) ?? d.network,
    data: (values.data as string | undefined) ?? d.data,
    seed: integerOption(values.seed, '--seed', 0, 0),
    optimizer:
      kind === 'adam'
        ? { kind, lr, weightDecay }
        : {
            kind,
            lr,
            weightDecay,
            momentum: numberOption(values.momentum, '--momentum', 0.9),
            nesterov: Boolean(values.nesterov),
          },
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
      epochs: integerOption(values['arm-epochs'], '--arm-epochs', 10, 1, LIMITS.epochs),
    };
  if (values.standardise) config.standardise = true;
  checkOptimizerSettings(config.optimizer, (field) =>
    field === 'kind' ? '--optimizer' : `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
  );
  checkTrainConfig(config);
  return config;
}

/** Experiment B during training: --analysis for the thesis' points, or any --*analysis-* option. */
export function analysisScheduleFrom(
  values: Record<string, unknown>,
): AnalysisSchedule | undefined {
  const keys = Object.keys(values).filter(
    (k) => k.includes('analysis') && values[k] !== undefined && values[k] !== false,
  );
  if (keys.length === 0) return undefined;
  const d = thesisAnalysis();
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

const d = defaultTrainConfig();
const t = thesisAnalysis();

export const trainCommand: Command = {
  summary: 'train a network (small-batch, piggybacked, increasing-batch, Smoothout); resumable',
  example:
    'gradscope train --network F1 --data mnist --batch-size 256 --epochs 30 --piggyback 1000,5000 --out runs/f1',
  globals: ['threads', 'seed', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  exitStatus: TRAINING_EXIT_STATUS,
  options: {
    network: value(
      'NET',
      d.network,
      'F1, C1, C2, C3, C4, ResNet20, ..., a .json layer list or a TorchScript .pt',
    ),
    data: value('D', d.data, 'mnist, fashion-mnist, or a folder or file of data'),
    'batch-size': value('B', String(d.batchSize), 'the batch size of process 1'),
    epochs: value('N', String(d.epochs), 'epochs of process 1'),
    optimizer: value('adam|sgd', 'adam', 'the optimizer'),
    lr: value('X', '1e-3 with adam, 0.1 with sgd', 'the learning rate'),
    momentum: value('M', '0.9', "SGD's momentum"),
    nesterov: flag("SGD with Nesterov's momentum"),
    'weight-decay': value('W', '0', 'L2 weight decay'),
    patience: value(
      'P',
      'none: train all --epochs',
      'stop process 1 when the moving test accuracy has not improved by --threshold for P epochs',
    ),
    threshold: value('T', '0', 'the improvement that counts, with --patience'),
    window: value('W', String(DEFAULT_WINDOW), 'epochs in the moving average, with --patience'),
    'branch-at': value('end|best', 'end', 'the arms start from the last or the best epoch'),
    piggyback: value('LIST', 'none', 'batch sizes of the arms branched from process 1'),
    'arm-epochs': value('E', '10', 'epochs of each arm'),
    'increase-batch-at': value('LIST', 'none', 'epochs at which the batch size grows by --factor'),
    'decay-lr-at': value('LIST', 'none', 'epochs at which the learning rate falls by --factor'),
    factor: value('F', '5', 'the factor of --increase-batch-at and --decay-lr-at'),
    smoothout: value('A', 'none', 'Smoothout: uniform noise of amplitude A on the weights'),
    adaptive: flag("AdaSmoothout: each filter's noise scaled by its norm"),
    anneal: value('constant|linear', 'constant', "Smoothout's amplitude over the epochs"),
    standardise: flag("standardise the inputs with the training set's statistics"),
    analysis: flag("Experiment B during training, at the thesis' points"),
    'analysis-every': value('N', String(t.every), 'process 1 is analysed every N epochs'),
    'analysis-batch-sizes': value('LIST', t.batchSizes.join(','), 'the B of those analyses'),
    'arm-analysis-every': value('N', String(t.armEvery), 'each arm is analysed every N epochs'),
    'arm-analysis-batch-sizes': value(
      'LIST',
      t.armBatchSizes.join(','),
      "the B of the arms' analyses",
    ),
    'analysis-samples': value('K', String(t.samples), 'gradients drawn per B'),
    'analysis-bn': value('population|batch', t.mode, 'batch norm in the analyses'),
    out: value('DIR', 'runs/train-NET-TIME', 'the run directory'),
    resume: flag('continue the run in --out from its last checkpoint'),
  },
  async run(values, _positionals, log) {
    const config = trainConfigFrom(values);
    const spec = networkSpec(config.network);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const out =
      (values.out as string | undefined) ?? path.join('runs', `train-${spec.name}-${stamp}`);
    if (values.resume && values.out === undefined)
      throw expected('the run directory', '--out (with --resume)', undefined);
    checkRunDirectory(out, Boolean(values.resume));
    applyThreads(values.threads, threadsFor(spec));
    const data = loadData(config.data, { standardise: Boolean(config.standardise) });
    checkNetworkFitsData(spec, data.train);
    log.info(`gradscope train: ${spec.name} on ${data.description}; run directory ${out}`);
    const progress = makeProgress({ quiet: log.quiet });
    const analysis = analysisScheduleFrom(values);
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
};
