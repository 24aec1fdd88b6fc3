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
import { absent, choice, command, flag, integer, parsed, type CommandValues } from './command';
import type { Log } from '../core/log';
import { LIMITS } from '../engine/limits';
import { integerOption } from './options';

function positiveNumbers(text: string, option: string): number[] {
  const list = text.split(',').map(Number);
  if (!list.every((x) => x > 0 && x < Infinity))
    throw expected('a comma-separated list of positive numbers', option, text);
  return list;
}

/** --hutchinson N: 0 (no trace) or at least 2 probes. */
function hutchinsonProbes(text: string, option: string): number {
  const n = integerOption(text, option, 0, 0, LIMITS.iterations);
  if (n === 1) throw expected('0 (no trace) or an integer of at least 2', option, text);
  return n;
}

async function analyzeSharpnessCommand(
  values: CommandValues<typeof sharpnessOptions>,
  log: Log,
): Promise<SharpnessResult> {
  const d = DEFAULT_SHARPNESS;
  const set = values.set;
  const { file, network, info, data } = stateFrom(values);
  const setSize = (set === 'train' ? data.train : data.test).size;
  const options: SharpnessOptions = {
    ...d,
    eps: values.eps ?? d.eps,
    // the defaults fit any network; asked-for values are checked as given
    subspace: values.subspace ?? Math.min(d.subspace, network.parameterCount),
    iterations: values.iterations,
    topK: values['top-k'] ?? Math.min(d.topK, network.parameterCount),
    eigen: values.eigen,
    powerIterations: values['eigen-steps'],
    layers: values.layers,
    density: values.density
      ? { probes: values['density-probes'], steps: values['density-steps'] }
      : null,
    probes: values.hutchinson ?? d.probes,
    hessianSampleSize: values['hessian-sample'] ?? d.hessianSampleSize,
    set,
    mode: values.bn,
    seed: values.seed ?? d.seed,
    sampleSize: values['sample-size'] ?? null,
  };
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
    const dir = values.out;
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

const sharpnessOptions = {
  ...CHECKPOINT,
  ...NETWORK_AND_DATA,
  eps: parsed(
    'LIST',
    d.eps.join(','),
    "the box sizes epsilon of Keskar's sharpness",
    positiveNumbers,
  ),
  subspace: integer(
    'P',
    absent(`${d.subspace} (at most the parameter count)`),
    'dimension of the random subspace; 0: none',
    { min: 0, max: LIMITS.iterations },
  ),
  iterations: integer('N', d.iterations, 'L-BFGS iterations of the maximisation', {
    max: LIMITS.iterations,
  }),
  'top-k': integer(
    'K',
    absent(`${d.topK} (at most the parameter count)`),
    'top Hessian eigenvalues; 0: none',
    { min: 0, max: LIMITS.iterations },
  ),
  hutchinson: parsed(
    'N',
    String(d.probes),
    "Hutchinson's probes for the trace; 0: none",
    hutchinsonProbes,
  ),
  set: choice(['train', 'test'], d.set, 'the set the loss is measured on'),
  'sample-size': integer('N', absent('the whole set'), 'examples of the set that the loss is over'),
  'hessian-sample': integer(
    'N',
    absent(`${d.hessianSampleSize} (or the whole set, if smaller)`),
    'examples the Hessian is over',
  ),
  bn: choice(['population', 'batch'], d.mode, 'batch norm: running statistics, or per batch'),
  eigen: choice(['lanczos', 'power'], d.eigen, 'the eigenvalue method'),
  'eigen-steps': integer('N', d.powerIterations, 'at most this many Hessian-vector products', {
    max: LIMITS.iterations,
  }),
  density: flag('also the spectral density (stochastic Lanczos quadrature)'),
  'density-probes': integer('N', DEFAULT_DENSITY.probes, 'probes of the density', {
    max: LIMITS.iterations,
  }),
  'density-steps': integer('N', DEFAULT_DENSITY.steps, 'Lanczos steps per probe', {
    min: 2,
    max: LIMITS.iterations,
  }),
  layers: flag('also per parameter group: the top eigenvalue and trace of its block'),
  ...OUT,
};

export const sharpnessCommand = command({
  summary: "Keskar's sharpness, the Hessian's top eigenvalues, trace and spectral density",
  example:
    'gradscope analyze sharpness --checkpoint run/checkpoints/train/epoch-0030.safetensors --eps 1e-3 --top-k 3 --out sharpness',
  globals: ['threads', 'seed', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  options: sharpnessOptions,
  run: (values, _positionals, log) => analyzeSharpnessCommand(values, log),
});
