/**
 * `gradscope analyze sharpness --checkpoint FILE [--network NET] [--data D]
 *   [--eps 1e-3,5e-4] [--subspace 100] [--iterations 10] [--top-k 3] [--hutchinson 20]
 *   [--set train|test] [--sample-size N] [--hessian-sample 5000] [--bn population|batch]
 *   [--eigen lanczos|power] [--eigen-steps 100] [--density] [--density-probes 1]
 *   [--density-steps 80] [--layers] [--out DIR]`
 *
 * Prints a short table (or, with --json, the whole result); with --out also writes
 * sharpness.json, and with --density the figure sharpness-density.svg/png.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  checkSharpnessOptions,
  DEFAULT_SHARPNESS,
  measureSharpness,
  type SharpnessOptions,
  type SharpnessResult,
} from '../analysis/sharpness';
import { writeFileAtomic } from '../core/atomic-write';
import { expected } from '../core/errors';
import { DEFAULT_DENSITY } from '../analysis/spectral-density';
import { densityFigure } from '../report/density-figure';
import { layerCurvatureFigure } from '../report/layer-figures';
import { sharpnessText } from '../report/sharpness-text';
import { writeFigure } from '../report/write-figure';
import { makeProgress } from '../train/progress';
import { CHECKPOINT, NETWORK_AND_DATA, OUT, stateFrom } from './analysis-options';
import { flag, value, type Command } from './command';
import type { Log } from './log';
import { LIMITS } from '../engine/limits';
import { integerOption } from './options';

function positiveNumbers(value: unknown, option: string): number[] {
  const list = String(value).split(',').map(Number);
  if (typeof value !== 'string' || !list.every((x) => x > 0 && x < Infinity))
    throw expected('a comma-separated list of positive numbers', option, value);
  return list;
}

function oneOf<T extends string>(value: unknown, allowed: T[], option: string, fallback: T): T {
  const v = (value as string | undefined) ?? fallback;
  if (!allowed.includes(v as T)) throw expected(allowed.join(' or '), option, v);
  return v as T;
}

async function analyzeSharpnessCommand(
  values: Record<string, unknown>,
  log: Log,
): Promise<SharpnessResult> {
  const d = DEFAULT_SHARPNESS;
  const set = oneOf<'train' | 'test'>(values.set, ['train', 'test'], '--set', d.set);
  const options: SharpnessOptions = {
    ...d,
    eps: values.eps === undefined ? d.eps : positiveNumbers(values.eps, '--eps'),
    subspace: integerOption(values.subspace, '--subspace', d.subspace, 0, LIMITS.iterations),
    iterations: integerOption(
      values.iterations,
      '--iterations',
      d.iterations,
      1,
      LIMITS.iterations,
    ),
    topK: integerOption(values['top-k'], '--top-k', d.topK, 0, LIMITS.iterations),
    eigen: oneOf(values.eigen, ['lanczos', 'power'], '--eigen', d.eigen),
    powerIterations: integerOption(
      values['eigen-steps'],
      '--eigen-steps',
      d.powerIterations,
      1,
      LIMITS.iterations,
    ),
    layers: Boolean(values.layers),
    density: values.density
      ? {
          probes: integerOption(
            values['density-probes'],
            '--density-probes',
            DEFAULT_DENSITY.probes,
            1,
            LIMITS.iterations,
          ),
          steps: integerOption(
            values['density-steps'],
            '--density-steps',
            DEFAULT_DENSITY.steps,
            2,
            LIMITS.iterations,
          ),
        }
      : null,
    probes: integerOption(values.hutchinson, '--hutchinson', d.probes, 0, LIMITS.iterations),
    hessianSampleSize:
      values['hessian-sample'] === undefined
        ? d.hessianSampleSize
        : integerOption(values['hessian-sample'], '--hessian-sample', 1),
    set,
    mode: oneOf(values.bn, ['population', 'batch'], '--bn', d.mode),
    seed: integerOption(values.seed, '--seed', d.seed, 0),
  };
  if (options.probes === 1)
    throw expected('0 (no trace) or an integer of at least 2', '--hutchinson', values.hutchinson);
  const sampleSize = values['sample-size'];
  const { file, network, info, data } = stateFrom(values);
  const setSize = (set === 'train' ? data.train : data.test).size;
  // the defaults fit any network; asked-for values are checked as given
  if (values.subspace === undefined)
    options.subspace = Math.min(options.subspace, network.parameterCount);
  if (values['top-k'] === undefined) options.topK = Math.min(options.topK, network.parameterCount);
  options.sampleSize =
    sampleSize === undefined ? null : integerOption(sampleSize, '--sample-size', setSize);
  checkSharpnessOptions(options, network.parameterCount, setSize);
  const progress = makeProgress({ quiet: log.quiet });
  log.info(
    `gradscope analyze sharpness: ${info.network.name} at epoch ${info.epoch} of ${file}; ${data.description}`,
  );
  const result = await measureSharpness(network, data, {
    ...options,
    onProgress: (stage, done, total) => progress.work(stage, done, total),
  });
  progress.line(`${result.seconds.toFixed(1)} s`);
  if (values.out) {
    const dir = String(values.out);
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(path.join(dir, 'sharpness.json'), JSON.stringify(result, null, 1) + '\n');
    log.info(`written: ${dir}/sharpness.json`);
    if (result.hessian.layers) {
      writeFigure(
        dir,
        'sharpness-layers',
        layerCurvatureFigure(
          `Hessian blocks per parameter group, ${info.network.name} at epoch ${info.epoch}`,
          result.hessian.layers,
        ),
      );
      log.info(`written: ${dir}/sharpness-layers.svg/png`);
    }
    if (result.hessian.density) {
      writeFigure(
        dir,
        'sharpness-density',
        densityFigure(`Hessian spectral density, ${info.network.name} at epoch ${info.epoch}`, [
          { name: path.basename(file), density: result.hessian.density },
        ]),
      );
      log.info(`written: ${dir}/sharpness-density.svg/png`);
    }
  }
  if (!log.json) process.stdout.write(sharpnessText(result));
  return result;
}

const d = DEFAULT_SHARPNESS;

export const sharpnessCommand: Command = {
  summary: "Keskar's sharpness, the Hessian's top eigenvalues, trace and spectral density",
  example:
    'gradscope analyze sharpness --checkpoint run/checkpoints/train/epoch-0030.safetensors --eps 1e-3 --top-k 3 --out sharpness',
  globals: ['threads', 'seed', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  options: {
    ...CHECKPOINT,
    ...NETWORK_AND_DATA,
    eps: value('LIST', d.eps.join(','), "the box sizes epsilon of Keskar's sharpness"),
    subspace: value(
      'P',
      `${d.subspace} (at most the parameter count)`,
      'dimension of the random subspace; 0: none',
    ),
    iterations: value('N', String(d.iterations), 'L-BFGS iterations of the maximisation'),
    'top-k': value(
      'K',
      `${d.topK} (at most the parameter count)`,
      'top Hessian eigenvalues; 0: none',
    ),
    hutchinson: value('N', String(d.probes), "Hutchinson's probes for the trace; 0: none"),
    set: value('train|test', d.set, 'the set the loss is measured on'),
    'sample-size': value('N', 'the whole set', 'examples of the set that the loss is over'),
    'hessian-sample': value(
      'N',
      `${d.hessianSampleSize} (or the whole set, if smaller)`,
      'examples the Hessian is over',
    ),
    bn: value('population|batch', d.mode, 'batch norm: running statistics, or per batch'),
    eigen: value('lanczos|power', d.eigen, 'the eigenvalue method'),
    'eigen-steps': value(
      'N',
      String(d.powerIterations),
      'at most this many Hessian-vector products',
    ),
    density: flag('also the spectral density (stochastic Lanczos quadrature)'),
    'density-probes': value('N', String(DEFAULT_DENSITY.probes), 'probes of the density'),
    'density-steps': value('N', String(DEFAULT_DENSITY.steps), 'Lanczos steps per probe'),
    layers: flag('also per parameter group: the top eigenvalue and trace of its block'),
    ...OUT,
  },
  run: (values, _positionals, log) => analyzeSharpnessCommand(values, log),
};
