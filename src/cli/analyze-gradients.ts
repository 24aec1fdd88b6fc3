/**
 * `gradscope analyze gradients --checkpoint FILE [--network NET] [--data D]
 *   [--batch-sizes 256,1000,2000,5000] [--samples 100] [--bn population|batch]
 *   [--ghost-batch 5000] [--cap 10] [--draws independent|nested] [--layers] [--out DIR]`
 *
 * Prints the thesis-layout tables (or, with --json, the whole result); with --out
 * also writes gradients.json, the tables as Markdown and CSV, and the figure.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  analyzeGradients,
  checkGradientOptions,
  DEFAULT_GRADIENT_ANALYSIS,
  drawExamples,
  type GradientAnalysis,
} from '../analysis/gradient-distribution';
import { groupsOf } from '../analysis/layer-blocks';
import { writeFileAtomic } from '../core/atomic-write';
import { expected } from '../core/errors';
import { LIMITS } from '../engine/limits';
import { writeGradientOutputs } from '../report/gradient-outputs';
import { gradientTablesMarkdown, type AnalysisPoint } from '../report/gradient-tables';
import { makeProgress } from '../train/progress';
import { CHECKPOINT, NETWORK_AND_DATA, OUT, stateFrom } from './analysis-options';
import { flag, value, type Command } from './command';
import type { Log } from './log';
import { integerList, integerOption, numberOption } from './options';

function drawsOption(value: unknown): 'independent' | 'nested' {
  const v = (value as string | undefined) ?? DEFAULT_GRADIENT_ANALYSIS.draws;
  if (v !== 'independent' && v !== 'nested') throw expected('independent or nested', '--draws', v);
  return v;
}

async function analyzeGradientsCommand(
  values: Record<string, unknown>,
  log: Log,
): Promise<GradientAnalysis> {
  const { file, network, info, data } = stateFrom(values);
  const bn = (values.bn as string | undefined) ?? 'population';
  if (bn !== 'population' && bn !== 'batch') throw expected('population or batch', '--bn', bn);
  const batchSizes =
    values['batch-sizes'] === undefined
      ? DEFAULT_GRADIENT_ANALYSIS.batchSizes
      : integerList(values['batch-sizes'], '--batch-sizes');
  const samples = integerOption(
    values.samples,
    '--samples',
    DEFAULT_GRADIENT_ANALYSIS.samples,
    1,
    LIMITS.samples,
  );
  const options = {
    ...DEFAULT_GRADIENT_ANALYSIS,
    batchSizes,
    samples,
    mode: bn as 'population' | 'batch',
    ghostBatch: integerOption(
      values['ghost-batch'],
      '--ghost-batch',
      DEFAULT_GRADIENT_ANALYSIS.ghostBatch,
    ),
    cap: numberOption(values.cap, '--cap', DEFAULT_GRADIENT_ANALYSIS.cap),
    draws: drawsOption(values.draws),
    ...(values.layers ? { groups: groupsOf(network) } : {}),
    seed: integerOption(values.seed, '--seed', 0, 0),
    purpose: `analyze-${path.basename(file)}`,
  };
  checkGradientOptions(options, data.train.size);
  const progress = makeProgress({ quiet: log.quiet });
  const total = drawExamples(options);
  let done = 0;
  log.info(
    `gradscope analyze gradients: ${info.network.name} at epoch ${info.epoch} of ${file}; ${data.description}`,
  );
  const result = await analyzeGradients(network, data, {
    ...options,
    onDraw: (_b, _k, examples) =>
      progress.work('gradient draws (examples)', (done += examples), total),
  });
  const point: AnalysisPoint = {
    label: `${info.network.name}, epoch ${info.epoch}`,
    phase: String((info.extra as { phase?: string }).phase ?? 'checkpoint'),
    epoch: info.epoch,
    analysis: result,
  };
  if (values.out) {
    const dir = String(values.out);
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(path.join(dir, 'gradients.json'), JSON.stringify(result) + '\n');
    writeGradientOutputs(dir, [point]);
    log.info(`written: ${dir}/gradients.json, gradients.md, gradients-*.csv, gradients.svg/png`);
  }
  progress.line(
    `${result.seconds.toFixed(1)} s, ${Math.round(result.examplesPerSecond)} examples/s`,
  );
  if (!log.json) process.stdout.write(gradientTablesMarkdown([point]));
  return result;
}

const d = DEFAULT_GRADIENT_ANALYSIS;

export const gradientsCommand: Command = {
  summary: 'Experiment B: mini-batch gradients around g_train and g_total at one checkpoint',
  example:
    'gradscope analyze gradients --checkpoint run/checkpoints/train/epoch-0030.safetensors --batch-sizes 256,5000 --samples 100 --out analysis',
  globals: ['threads', 'seed', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  options: {
    ...CHECKPOINT,
    ...NETWORK_AND_DATA,
    'batch-sizes': value('LIST', d.batchSizes.join(','), 'the batch sizes B'),
    samples: value('K', String(d.samples), 'mini-batch gradients drawn per B'),
    bn: value('population|batch', d.mode, 'batch norm: running statistics, or per batch'),
    'ghost-batch': value('N', String(d.ghostBatch), 'the ghost batch size of batch mode'),
    cap: value('X', String(d.cap), "the histograms' range, in units of d"),
    draws: value(
      'independent|nested',
      d.draws,
      'nested: one draw of the largest B per k, its prefixes for the smaller B',
    ),
    layers: flag('also per parameter group: noise, tr(F_g), B_simple'),
    ...OUT,
  },
  run: (values, _positionals, log) => analyzeGradientsCommand(values, log),
};
