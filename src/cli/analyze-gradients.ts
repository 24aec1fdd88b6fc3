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
import { loadData } from '../data/load';
import { checkNetworkFitsData } from '../engine/network';
import { writeFileAtomic } from '../engine/atomic-write';
import { expected } from '../engine/errors';
import { threadsFor } from '../engine/threads';
import { networkSpec } from '../models';
import { gradientPointFigure } from '../report/gradient-figures';
import {
  gradientHistogramCsv,
  gradientSummaryCsv,
  gradientTablesMarkdown,
  type AnalysisPoint,
} from '../report/gradient-tables';
import { layerNoiseFigure } from '../report/layer-figures';
import { writeFigure } from '../report/write-figure';
import { networkFromCheckpoint } from '../train/checkpoint';
import { makeProgress } from '../train/progress';
import type { Log } from './log';
import { LIMITS } from '../engine/limits';
import { applyThreads, integerOption } from './options';
import { integerList, numberOption } from './train';

/** The network of a checkpoint with its weights, and the data it was trained on (or --data). */
export function stateFrom(values: Record<string, unknown>, option = '--checkpoint') {
  // a TorchScript --network carries its weights: it is the checkpoint unless one is given
  const file = (values.checkpoint ??
    (/\.(pt|pth)$/i.test(String(values.network ?? '')) ? values.network : undefined)) as
    string | undefined;
  if (!file) throw expected('a checkpoint file', option, file);
  const wanted = values.network ? networkSpec(String(values.network)) : undefined;
  const { network, info } = networkFromCheckpoint(file, wanted);
  const extra = info.extra as { data?: string; standardise?: boolean };
  const dataArgument = (values.data as string | undefined) ?? extra.data;
  if (!dataArgument)
    throw expected('a data set (the checkpoint does not name one)', '--data', undefined);
  applyThreads(values.threads, threadsFor(info.network));
  const data = loadData(dataArgument, { standardise: Boolean(extra.standardise) });
  checkNetworkFitsData(info.network, data.train);
  return { file, network, info, data };
}

export function writeGradientOutputs(
  dir: string,
  points: AnalysisPoint[],
  name = 'gradients',
): void {
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, `${name}.md`), gradientTablesMarkdown(points));
  writeFileAtomic(path.join(dir, `${name}-histograms.csv`), gradientHistogramCsv(points));
  writeFileAtomic(path.join(dir, `${name}-summary.csv`), gradientSummaryCsv(points));
  for (const p of points) {
    const figure = points.length === 1 ? name : `${name}-${p.phase}-epoch-${p.epoch}`;
    writeFigure(dir, figure, gradientPointFigure(p));
    if (p.analysis.layers)
      writeFigure(
        dir,
        `${figure}-layers`,
        layerNoiseFigure(`${p.label}: gradient noise per parameter group`, p.analysis.layers),
      );
  }
}

function drawsOption(value: unknown): 'independent' | 'nested' {
  const v = (value as string | undefined) ?? DEFAULT_GRADIENT_ANALYSIS.draws;
  if (v !== 'independent' && v !== 'nested') throw expected('independent or nested', '--draws', v);
  return v;
}

export function analyzeGradientsCommand(
  values: Record<string, unknown>,
  log: Log,
): GradientAnalysis {
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
  const result = analyzeGradients(network, data, {
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
