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
import { DEFAULT_SURFACE } from '../analysis/loss-surface';
import {
  trajectorySurface,
  type TrajectoryInput,
  type TrajectoryResult,
} from '../analysis/trajectory';
import { writeFileAtomic } from '../core/atomic-write';
import { expected } from '../core/errors';
import { trajectoryFigure } from '../report/trajectory-figure';
import { checkpointLabels } from '../report/checkpoint-labels';
import { writeFigure } from '../report/write-figure';
import { checkpointInfo } from '../engine/checkpoint-file';
import { loadNetwork } from '../engine/checkpoint';
import { epochCheckpoints, phaseFolders } from '../store/checkpoint-files';
import { makeProgress } from '../train/progress';
import {
  evaluationDeclarations,
  evaluationOptions,
  NETWORK_AND_DATA,
  OUT,
  stateFrom,
} from './analysis-options';
import { choice, command, file, integer, repeated, type CommandValues } from './command';
import type { Log } from '../core/log';

/** Grid points along each axis of the plane. */
const POINTS = 15;

async function analyzeTrajectoryCommand(
  values: CommandValues<typeof trajectoryOptions>,
  log: Log,
  positionals: string[],
): Promise<TrajectoryResult> {
  const given = values.checkpoints;
  const dirs = [...given.flatMap((d) => d.split(',')), ...positionals]
    .filter((d) => d !== '')
    .flatMap(phaseFolders);
  if (dirs.length === 0)
    throw expected(
      'one or more checkpoint folders',
      '--checkpoints',
      given.length ? given : undefined,
    );
  const files = dirs.map(epochCheckpoints);
  const finalFile = values.final ?? files[files.length - 1]!.at(-1)!;
  const { bn, set, points } = values;
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
  const result = await trajectorySurface(
    network,
    final,
    paths,
    data,
    {
      ...DEFAULT_SURFACE,
      bn,
      set,
      points,
      ...evaluationOptions(values, DEFAULT_SURFACE, data.train.size),
    },
    (done, total) => progress.work('surface points', done, total),
  );
  progress.line(`${points ** 2} points in ${result.seconds.toFixed(1)} s`);
  if (values.out) {
    const dir = values.out;
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

const trajectoryOptions = {
  checkpoints: repeated(
    'DIR[,DIR]',
    'none: required (or DIR operands)',
    "folders of one path's epoch checkpoints, or a run's folder of phase folders",
  ),
  final: file('FILE', 'the last checkpoint of the last folder', 'the origin w_final'),
  ...NETWORK_AND_DATA,
  points: integer('N', POINTS, 'grid points along each axis', { min: 2 }),
  bn: choice(
    ['recalibrate', 'batch'],
    'recalibrate',
    'batch norm at each point: recomputed, or per batch',
  ),
  set: choice(['train', 'test'], DEFAULT_SURFACE.set, 'the set whose loss is drawn'),
  ...evaluationDeclarations(DEFAULT_SURFACE),
  ...OUT,
};

export const trajectoryCommand = command({
  summary: 'training trajectories in one PCA plane on the loss surface',
  operands: '[DIR...]',
  example:
    'gradscope analyze trajectory --checkpoints run/seeds/0/checkpoints --points 15 --out trajectory',
  globals: ['threads', 'seed', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  options: trajectoryOptions,
  run: (values, positionals, log) => analyzeTrajectoryCommand(values, log, positionals),
});
