/**
 * `gradscope analyze line --from A --to B [--network NET] [--data D] [--alpha -2:3:51]
 *   [--bn recalibrate|interpolate|batch] [--sample-size 10000] [--eval-batch 5000] [--out DIR]`
 * `gradscope analyze surface --checkpoint A [--through B,C] [--grid -1:1:21]
 *   [--bn recalibrate|keep|batch] [--set train|test] [--out DIR]`
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  DEFAULT_LINE,
  lossAlongLine,
  parseGrid,
  solutionOf,
  type LineBatchNorm,
  type LineResult,
} from '../analysis/loss-line';
import {
  DEFAULT_SURFACE,
  planeSurface,
  randomDirectionSurface,
  type SurfaceBatchNorm,
  type SurfaceResult,
} from '../analysis/loss-surface';
import { writeFileAtomic } from '../core/atomic-write';
import { expected } from '../core/errors';
import { lineCsv, lineFigure, surfaceFigure } from '../report/line-figures';
import { checkpointLabels } from '../report/checkpoint-labels';
import { writeFigure } from '../report/write-figure';
import { loadNetwork } from '../engine/checkpoint';
import { makeProgress } from '../train/progress';
import {
  CHECKPOINT,
  evaluationDeclarations,
  evaluationOptions,
  NETWORK_AND_DATA,
  OUT,
  stateFrom,
} from './analysis-options';
import { value, type Command } from './command';
import type { Log } from './log';

function option<T extends string>(value: unknown, allowed: T[], name: string, fallback: T): T {
  const v = (value as string | undefined) ?? fallback;
  if (!allowed.includes(v as T)) throw expected(allowed.join(', ') + ' (one of)', name, v);
  return v as T;
}

async function analyzeLineCommand(values: Record<string, unknown>, log: Log): Promise<LineResult> {
  if (!values.from) throw expected('a checkpoint file', '--from', values.from);
  if (!values.to) throw expected('a checkpoint file', '--to', values.to);
  const bn = option<LineBatchNorm>(
    values.bn,
    ['recalibrate', 'interpolate', 'batch'],
    '--bn',
    'recalibrate',
  );
  const alphas =
    values.alpha === undefined ? DEFAULT_LINE.alphas : parseGrid(String(values.alpha), '--alpha');
  const { network, data } = stateFrom({ ...values, checkpoint: values.from }, '--from');
  const to = String(values.to);
  const [fromLabel, toLabel] = checkpointLabels([String(values.from), to]);
  const a = solutionOf(network, fromLabel!);
  // the other end must be the same network: loading it checks tensor for tensor
  loadNetwork(to, network);
  const b = solutionOf(network, toLabel!);
  const progress = makeProgress({ quiet: log.quiet });
  log.info(
    `gradscope analyze line: ${a.label} -> ${b.label}, ${alphas.length} points, batch norm ${bn}`,
  );
  const result = await lossAlongLine(
    network,
    a,
    b,
    data,
    {
      ...DEFAULT_LINE,
      alphas,
      bn,
      ...evaluationOptions(values, DEFAULT_LINE, data.train.size),
    },
    (done, total) => progress.work('line points', done, total),
  );
  progress.line(
    `${result.points.length} points in ${result.seconds.toFixed(1)} s (${result.secondsPerPoint.toFixed(2)} s per point)`,
  );
  if (values.out) {
    const dir = String(values.out);
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(path.join(dir, 'line.json'), JSON.stringify(result, null, 1) + '\n');
    writeFileAtomic(path.join(dir, 'line.csv'), lineCsv(result));
    writeFigure(dir, 'line', lineFigure(result));
    log.info(`written: ${dir}/line.json, line.csv, line.svg, line.png`);
  }
  if (!log.json) {
    process.stdout.write(lineCsv(result));
    if (result.best)
      process.stdout.write(
        `lowest test loss on the grid: alpha ${result.best.alpha}, loss ${result.best.testLoss.toFixed(4)}, accuracy ${(100 * result.best.testAccuracy).toFixed(2)}%\n`,
      );
  }
  return result;
}

async function analyzeSurfaceCommand(
  values: Record<string, unknown>,
  log: Log,
): Promise<SurfaceResult> {
  const bn = option<SurfaceBatchNorm>(
    values.bn,
    ['recalibrate', 'keep', 'batch'],
    '--bn',
    'recalibrate',
  );
  const set = option<'train' | 'test'>(values.set, ['train', 'test'], '--set', 'test');
  const grid =
    values.grid === undefined ? DEFAULT_SURFACE.xs : parseGrid(String(values.grid), '--grid');
  const { file, network, data } = stateFrom(values);
  const through = values.through === undefined ? [] : String(values.through).split(',');
  const labels = checkpointLabels([file, ...through]);
  const a = solutionOf(network, labels[0]!);
  const options = {
    ...DEFAULT_SURFACE,
    xs: grid,
    ys: grid,
    bn,
    set,
    ...evaluationOptions(values, DEFAULT_SURFACE, data.train.size),
  };
  const progress = makeProgress({ quiet: log.quiet });
  const onPoint = (done: number, total: number) => progress.work('surface points', done, total);
  let result: SurfaceResult;
  if (values.through !== undefined) {
    const [bFile, cFile, ...rest] = through;
    if (!bFile || !cFile || rest.length)
      throw expected('two checkpoint files B,C', '--through', values.through);
    loadNetwork(bFile, network);
    const b = solutionOf(network, labels[1]!);
    loadNetwork(cFile, network);
    const c = solutionOf(network, labels[2]!);
    result = await planeSurface(network, a, b, c, data, options, onPoint);
  } else {
    result = await randomDirectionSurface(network, a, data, options, onPoint);
  }
  progress.line(`${grid.length ** 2} points in ${result.seconds.toFixed(1)} s`);
  if (values.out) {
    const dir = String(values.out);
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(path.join(dir, 'surface.json'), JSON.stringify(result) + '\n');
    writeFigure(dir, 'surface', surfaceFigure(result));
    log.info(`written: ${dir}/surface.json, surface.svg, surface.png`);
  }
  if (!log.json)
    process.stdout.write(
      `${JSON.stringify({ xs: result.xs, ys: result.ys, loss: result.loss })}\n`,
    );
  return result;
}

/** A grid a:b:n as --help shows it. */
const gridText = (g: number[]): string => `${g[0]}:${g[g.length - 1]}:${g.length}`;

export const lineCommand: Command = {
  summary: 'Experiment A: the loss along the line between two solutions',
  example:
    'gradscope analyze line --from small/epoch-0030.safetensors --to large/epoch-0030.safetensors --alpha -2:3:51 --out line',
  globals: ['threads', 'seed', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  options: {
    from: value('A', 'none: required', 'the checkpoint at alpha = 0'),
    to: value('B', 'none: required', 'the checkpoint at alpha = 1 (the same network)'),
    ...NETWORK_AND_DATA,
    alpha: value('A:B:N', gridText(DEFAULT_LINE.alphas), 'N values of alpha from A to B'),
    bn: value(
      'recalibrate|interpolate|batch',
      DEFAULT_LINE.bn,
      'batch norm at each point: recomputed, interpolated, or per batch',
    ),
    ...evaluationDeclarations(DEFAULT_LINE),
    ...OUT,
  },
  run: (values, _positionals, log) => analyzeLineCommand(values, log),
};

export const surfaceCommand: Command = {
  summary: 'a 2-D loss surface around a checkpoint, or on the plane of three',
  example:
    'gradscope analyze surface --checkpoint a.safetensors --through b.safetensors,c.safetensors --grid -1:1:21 --out surface',
  globals: ['threads', 'seed', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  options: {
    ...CHECKPOINT,
    ...NETWORK_AND_DATA,
    through: value(
      'B,C',
      'none: filter-normalised random directions',
      'two more checkpoints: the plane through the three',
    ),
    grid: value('A:B:N', gridText(DEFAULT_SURFACE.xs), 'the grid of each axis'),
    bn: value(
      'recalibrate|keep|batch',
      DEFAULT_SURFACE.bn,
      'batch norm at each point: recomputed, kept, or per batch',
    ),
    set: value('train|test', DEFAULT_SURFACE.set, 'the set whose loss is drawn'),
    ...evaluationDeclarations(DEFAULT_SURFACE),
    ...OUT,
  },
  run: (values, _positionals, log) => analyzeSurfaceCommand(values, log),
};
