/**
 * `gradscope analyze trajectory --checkpoints DIR [DIR...] [--final FILE] [--network NET]
 *   [--data D] [--points 15] [--bn recalibrate|batch] [--set train|test] [--sample-size N]
 *   [--eval-batch N] [--out DIR]`
 *
 * Each DIR holds one path's checkpoints (epoch-NNNN.safetensors, as a run writes them:
 * checkpoints/process1, checkpoints/arm-5000, ...); --checkpoints may be repeated or take a
 * comma-separated list, and further directories may follow it; a run's folder of phase folders
 * (seeds/S/checkpoints) stands for process1 and every arm. All paths share one PCA plane
 * around the final solution (default: the last checkpoint of the last directory).
 * Prints the paths' coordinates (or, with --json, the whole result); with --out writes
 * trajectory.json and the figure trajectory.svg/png.
 */
import * as fs from 'fs';
import * as path from 'path';
import { solutionOf } from '../analysis/loss-line';
import { DEFAULT_SURFACE, type SurfaceBatchNorm } from '../analysis/loss-surface';
import {
  trajectorySurface,
  type TrajectoryInput,
  type TrajectoryResult,
} from '../analysis/trajectory';
import { writeFileAtomic } from '../engine/atomic-write';
import { expected, GradscopeInputError } from '../engine/errors';
import { trajectoryFigure } from '../report/trajectory-figure';
import { writeFigure } from '../report/write-figure';
import { checkpointInfo, loadNetwork } from '../train/checkpoint';
import { makeProgress } from '../train/progress';
import { stateFrom } from './analyze-gradients';
import { checkpointLabels, evaluationOptions } from './analyze-line';
import type { Log } from './log';
import { integerOption } from './options';

/**
 * A run's folder of phase folders (seeds/S/checkpoints) stands for its phases: process1 first,
 * then the arms by increasing B, then any others by name. Any other folder stands for itself.
 */
export function phaseFolders(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [dir];
  const entries = fs.readdirSync(dir);
  if (entries.some((n) => /^epoch-\d+\.safetensors$/.test(n))) return [dir];
  const phases = entries.filter((n) => fs.statSync(path.join(dir, n)).isDirectory());
  const rank = (n: string): [number, number, string] =>
    n === 'process1' ? [0, 0, n] : /^arm-\d+$/.test(n) ? [1, Number(n.slice(4)), n] : [2, 0, n];
  phases.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2].localeCompare(y[2]);
  });
  return phases.length ? phases.map((n) => path.join(dir, n)) : [dir];
}

/** The epoch checkpoints of a folder, in epoch order. */
export function epochCheckpoints(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new GradscopeInputError(`${dir}: no such checkpoint folder`);
  const files = fs
    .readdirSync(dir)
    .filter((n) => /^epoch-\d+\.safetensors$/.test(n))
    .sort()
    .map((n) => path.join(dir, n));
  if (files.length === 0)
    throw new GradscopeInputError(`${dir}: no epoch-NNNN.safetensors checkpoints in this folder`);
  return files;
}

export function analyzeTrajectoryCommand(
  values: Record<string, unknown>,
  log: Log,
  positionals: string[] = [],
): TrajectoryResult {
  const given = values.checkpoints as string[] | string | undefined;
  const dirs = [
    ...(Array.isArray(given) ? given : given ? [given] : []).flatMap((d) => d.split(',')),
    ...positionals,
  ]
    .filter((d) => d !== '')
    .flatMap(phaseFolders);
  if (dirs.length === 0) throw expected('one or more checkpoint folders', '--checkpoints', given);
  const files = dirs.map(epochCheckpoints);
  const finalFile = (values.final as string | undefined) ?? files[files.length - 1]!.at(-1)!;
  const bn = (values.bn as string | undefined) ?? 'recalibrate';
  if (bn !== 'recalibrate' && bn !== 'batch') throw expected('recalibrate or batch', '--bn', bn);
  const set = (values.set as string | undefined) ?? 'test';
  if (set !== 'train' && set !== 'test') throw expected('train or test', '--set', set);
  const points = integerOption(values.points, '--points', 15, 2);
  const { network, info, data } = stateFrom({ ...values, checkpoint: finalFile });
  const finalLabel = `${path.basename(path.dirname(path.resolve(finalFile)))}/${path.basename(finalFile, '.safetensors')}`;
  const final = { ...solutionOf(network, finalLabel), file: finalFile };
  const labels = checkpointLabels(dirs.map((d) => path.join(d, 'x')));
  const paths: TrajectoryInput[] = dirs.map((dir, k) => ({
    label: labels[k]!.replace(/\/x$|^x$/, '') || path.basename(path.resolve(dir)),
    checkpoints: files[k]!.map((file) => {
      loadNetwork(file, network);
      return { epoch: checkpointInfo(file).epoch, file, parameters: network.readParameters() };
    }),
  }));
  network.writeParameters(final.parameters);
  network.writeStatistics(final.statistics);
  const progress = makeProgress({ quiet: log.quiet });
  log.info(
    `gradscope analyze trajectory: ${info.network.name}, ${paths.reduce((s, p) => s + p.checkpoints.length, 0)} checkpoints in ${dirs.length} folder(s) around ${finalFile}; ${data.description}`,
  );
  const result = trajectorySurface(
    network,
    final,
    paths,
    data,
    {
      ...DEFAULT_SURFACE,
      bn: bn as SurfaceBatchNorm,
      set,
      points,
      ...evaluationOptions(values, DEFAULT_SURFACE, data.train.size),
    },
    (done, total) => progress.work('surface points', done, total),
  );
  progress.line(`${points ** 2} points in ${result.seconds.toFixed(1)} s`);
  if (values.out) {
    const dir = String(values.out);
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(path.join(dir, 'trajectory.json'), JSON.stringify(result) + '\n');
    writeFigure(dir, 'trajectory', trajectoryFigure(result));
    log.info(`written: ${dir}/trajectory.json, trajectory.svg, trajectory.png`);
  }
  if (!log.json) {
    const lines = [
      `PCA plane around ${final.label}: ${(100 * result.explained[0]).toFixed(1)}% and ${(100 * result.explained[1]).toFixed(1)}% of sum |w_j - w_final|^2`,
      '',
      '| path | epoch | x | y |',
      '| --- | ---: | ---: | ---: |',
      ...result.paths.flatMap((p) =>
        p.points.map(
          (q) => `| ${p.label} | ${q.epoch} | ${q.x.toPrecision(5)} | ${q.y.toPrecision(5)} |`,
        ),
      ),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  return result;
}
