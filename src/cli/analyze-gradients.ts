/**
 * `gradscope analyze gradients --checkpoint FILE [--network NET] [--data D]
 *   [--batch-sizes 256,1000,2000,5000] [--samples 100] [--bn population|batch]
 *   [--ghost-batch 5000] [--cap 10] [--draws independent|nested] [--layers]
 *   [--signal-memory 2G|0] [--out DIR]`
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
import { formatByteSize, parseByteSize } from '../core/byte-size';
import { LIMITS } from '../engine/limits';
import { thesisStudy } from '../experiments/config';
import { writeGradientOutputs } from '../report/gradient-outputs';
import { writeGradientsFile } from '../store/analysis-output';
import { gradientTablesMarkdown, type AnalysisPoint } from '../report/gradient-tables';
import { makeProgress } from '../train/progress';
import { CHECKPOINT, NETWORK_AND_DATA, OUT, stateFrom } from './analysis-options';
import {
  absent,
  choice,
  command,
  flag,
  integer,
  list,
  number,
  parsed,
  type CommandValues,
} from './command';
import type { Log } from '../core/log';

async function analyzeGradientsCommand(
  values: CommandValues<typeof gradientsOptions>,
  log: Log,
): Promise<GradientAnalysis> {
  const { file, network, info, data } = stateFrom(values);
  const options = {
    ...DEFAULT_GRADIENT_ANALYSIS,
    batchSizes: values['batch-sizes'] ?? thesisStudy().process2.arms,
    samples: values.samples,
    mode: values.bn,
    ghostBatch: values['ghost-batch'],
    cap: values.cap,
    draws: values.draws,
    ...(values.layers ? { groups: groupsOf(network) } : {}),
    ...(values['signal-memory'] === undefined ? {} : { signalMemory: values['signal-memory'] }),
    seed: values.seed ?? 0,
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
    onNote: (line) => log.info(line),
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
    const dir = values.out;
    fs.mkdirSync(dir, { recursive: true });
    writeGradientsFile(dir, result);
    writeGradientOutputs(dir, [point]);
    log.info(`written: ${dir}/gradients.json, gradients.md, gradients-*.csv, gradients.svg/png`);
  }
  progress.line(
    `${result.seconds.toFixed(1)} s, ${Math.round(result.examplesPerSecond)} examples/s` +
      (result.signalBytes
        ? `; draws built from layer signals (${formatByteSize(result.signalBytes)}${(result.signalBlocks ?? 1) > 1 ? `, kept in ${result.signalBlocks} blocks one at a time` : ''})`
        : ''),
  );
  if (!log.json) process.stdout.write(gradientTablesMarkdown([point]));
  return result;
}

const d = DEFAULT_GRADIENT_ANALYSIS;

const gradientsOptions = {
  ...CHECKPOINT,
  ...NETWORK_AND_DATA,
  'batch-sizes': list(
    'LIST',
    absent("the thesis' arms (configs/thesis.yaml)"),
    'the batch sizes B',
  ),
  samples: integer('K', d.samples, 'mini-batch gradients drawn per B', { max: LIMITS.samples }),
  bn: choice(['population', 'batch'], d.mode, 'batch norm: running statistics, or per batch'),
  'ghost-batch': integer('N', d.ghostBatch, 'the ghost batch size of batch mode'),
  cap: number('X', d.cap, "the histograms' range, in units of d"),
  draws: choice(
    ['independent', 'nested'],
    d.draws,
    'nested: one draw of the largest B per k, its prefixes for the smaller B',
  ),
  layers: flag('also per parameter group: noise, tr(F_g), B_simple'),
  'signal-memory': parsed(
    'SIZE',
    "half the free memory, used where the draws take at least half the training set's examples",
    "population mode: memory for every training example's layer signals, each draw built from them (e.g. 2G; 0: off, each draw recomputes its examples)",
    parseByteSize,
  ),
  ...OUT,
};

export const gradientsCommand = command({
  summary: 'Experiment B: mini-batch gradients around g_train and g_total at one checkpoint',
  example:
    'gradscope analyze gradients --checkpoint run/checkpoints/train/epoch-0030.safetensors --batch-sizes 256,5000 --samples 100 --out analysis',
  globals: ['threads', 'seed', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  options: gradientsOptions,
  run: (values, _positionals, log) => analyzeGradientsCommand(values, log),
});
