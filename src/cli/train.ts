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
import { expected } from '../engine/errors';
import { DEFAULT_WINDOW } from '../train/convergence';

function branchAt(value: unknown): 'end' | 'best' {
  if (value === undefined || value === 'end') return 'end';
  if (value === 'best') return 'best';
  throw expected('end or best', '--branch-at', value);
}
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
import type { Log } from './log';
import { applyThreads, integerOption } from './options';

const str = { type: 'string' as const };
const flag = { type: 'boolean' as const, default: false };

export function numberOption(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n))
    throw expected('a number', option, value);
  return n;
}

export function integerList(
  value: unknown,
  option: string,
  max: number = LIMITS.batchSize,
): number[] {
  const parts = String(value).split(',');
  if (parts.length > LIMITS.listLength)
    throw expected(`a list of at most ${LIMITS.listLength} entries`, option, value);
  const list = parts.map(Number);
  if (!list.every((n) => Number.isSafeInteger(n) && n > 0))
    throw expected('a comma-separated list of positive integers', option, value);
  if (!list.every((n) => n <= max))
    throw expected(`a comma-separated list of integers of at most ${max}`, option, value);
  return list;
}

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

export const trainCommand = {
  summary: 'train a network (small-batch, piggybacked, increasing-batch, Smoothout); resumable',
  options: {
    network: str,
    data: str,
    'batch-size': str,
    epochs: str,
    optimizer: str,
    lr: str,
    momentum: str,
    nesterov: flag,
    'weight-decay': str,
    patience: str,
    threshold: str,
    window: str,
    'branch-at': str,
    piggyback: str,
    'arm-epochs': str,
    'increase-batch-at': str,
    'decay-lr-at': str,
    factor: str,
    smoothout: str,
    adaptive: flag,
    anneal: str,
    standardise: flag,
    analysis: flag,
    'analysis-every': str,
    'analysis-batch-sizes': str,
    'arm-analysis-every': str,
    'arm-analysis-batch-sizes': str,
    'analysis-samples': str,
    'analysis-bn': str,
    out: str,
    resume: flag,
  },
  async run(values: Record<string, unknown>, _positionals: string[], log: Log) {
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
    return result;
  },
};
