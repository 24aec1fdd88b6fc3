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
  type LineResult,
} from '../analysis/loss-line';
import {
  DEFAULT_SURFACE,
  planeSurface,
  randomDirectionSurface,
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
import { choice, command, file, parsed, type CommandValues } from './command';
import type { Log } from '../core/log';

async function analyzeLineCommand(
  values: CommandValues<typeof lineOptions>,
  log: Log,
): Promise<LineResult> {
  const { from, to, bn } = values;
  if (!from) throw expected('a checkpoint file', '--from', from);
  if (!to) throw expected('a checkpoint file', '--to', to);
  const alphas = values.alpha ?? DEFAULT_LINE.alphas;
  const { network, data } = stateFrom({ ...values, checkpoint: from }, '--from');
  const [fromLabel, toLabel] = checkpointLabels([from, to]);
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
    const dir = values.out;
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
  values: CommandValues<typeof surfaceOptions>,
  log: Log,
): Promise<SurfaceResult> {
  const { bn, set } = values;
  const grid = values.grid ?? DEFAULT_SURFACE.xs;
  const { file, network, data } = stateFrom(values);
  const through = values.through ?? [];
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
    const [bFile, cFile] = values.through;
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
    const dir = values.out;
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

/** --through B,C: two more checkpoint files. */
function twoCheckpoints(text: string, option: string): [string, string] {
  const [b, c, ...rest] = text.split(',');
  if (!b || !c || rest.length) throw expected('two checkpoint files B,C', option, text);
  return [b, c];
}

const lineOptions = {
  from: file('A', 'none: required', 'the checkpoint at alpha = 0'),
  to: file('B', 'none: required', 'the checkpoint at alpha = 1 (the same network)'),
  ...NETWORK_AND_DATA,
  alpha: parsed('A:B:N', gridText(DEFAULT_LINE.alphas), 'N values of alpha from A to B', parseGrid),
  bn: choice(
    ['recalibrate', 'interpolate', 'batch'],
    DEFAULT_LINE.bn,
    'batch norm at each point: recomputed, interpolated, or per batch',
  ),
  ...evaluationDeclarations(DEFAULT_LINE),
  ...OUT,
};

export const lineCommand = command({
  summary: 'Experiment A: the loss along the line between two solutions',
  example:
    'gradscope analyze line --from small/epoch-0030.safetensors --to large/epoch-0030.safetensors --alpha -2:3:51 --out line',
  globals: ['threads', 'seed', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  options: lineOptions,
  run: (values, _positionals, log) => analyzeLineCommand(values, log),
});

const surfaceOptions = {
  ...CHECKPOINT,
  ...NETWORK_AND_DATA,
  through: parsed(
    'B,C',
    'none: filter-normalised random directions',
    'two more checkpoints: the plane through the three',
    twoCheckpoints,
  ),
  grid: parsed('A:B:N', gridText(DEFAULT_SURFACE.xs), 'the grid of each axis', parseGrid),
  bn: choice(
    ['recalibrate', 'keep', 'batch'],
    DEFAULT_SURFACE.bn,
    'batch norm at each point: recomputed, kept, or per batch',
  ),
  set: choice(['train', 'test'], DEFAULT_SURFACE.set, 'the set whose loss is drawn'),
  ...evaluationDeclarations(DEFAULT_SURFACE),
  ...OUT,
};

export const surfaceCommand = command({
  summary: 'a 2-D loss surface around a checkpoint, or on the plane of three',
  example:
    'gradscope analyze surface --checkpoint a.safetensors --through b.safetensors,c.safetensors --grid -1:1:21 --out surface',
  globals: ['threads', 'seed', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  options: surfaceOptions,
  run: (values, _positionals, log) => analyzeSurfaceCommand(values, log),
});
