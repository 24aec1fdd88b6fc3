/**
 * The work of each piece of a study (pieces.ts), and running named pieces alone:
 * `gradscope run CONFIG --out DIR --only PIECE`. The sequential runner (runner.ts) does the
 * same work through the same functions, so a study run piece by piece, in any order its
 * dependencies allow and in parallel, ends bit-identical to a sequential run (same seeds
 * and threads).
 */
import * as fs from 'fs';
import {
  DEFAULT_LINE,
  lossAlongLine,
  parseGrid,
  solutionOf,
  type LineResult,
} from '../analysis/loss-line';
import { loadData, type StudyData } from '../data/load';
import { GradscopeInputError } from '../core/errors';
import { acquireLock, withLock } from '../core/lock';
import { Network } from '../engine/network';
import { networkSpec } from '../models';
import { tokenWindowsFor } from '../engine/data-options';
import { loadNetwork } from '../engine/checkpoint';
import type { Progress } from '../train/progress';
import { RunStopped, stoppedWork, throwIfStopped } from '../train/stop';
import { runTraining } from '../train/run';
import { TensorBoardSink } from '../train/tensorboard';
import { analysisHook } from './analysis-schedule';
import type { StudyConfig } from './config';
import { checkReady, donePieces, studyPieces, type Piece } from './pieces';
import { holdsRun, readStudyConfigFile, writeStudyConfigFile } from '../store/config-file';
import { finalCheckpoint } from '../store/latest-checkpoint';
import { writeStudyLine } from '../store/lines';
import { writeStudySharpness } from '../store/sharpness';
import type { StudySharpness } from './records';
import {
  lineFile,
  locksDir,
  pieceLockFile,
  seedDir,
  seedTensorboardDir,
  sharpnessFile,
  studyLockFile,
  trajectoryFile,
} from '../store/study-paths';
import { writeStudyTrajectory } from '../store/trajectories';
import { trainConfigOf } from './train-config';
import { measureSharpnessForStudy } from './study-sharpness';
import { studyTrajectory } from './trajectory-hook';

/** A seed's TensorBoard events: tensorboard/<seed>/<phase>/, and lines/ for Experiment A. */
export function seedEvents(runDir: string, seed: number): TensorBoardSink {
  return new TensorBoardSink(seedTensorboardDir(runDir, seed));
}

/**
 * A line in TensorBoard: run "lines", step = the index of alpha on the grid, one tag per
 * line and quantity (alpha itself among them, to read the step as alpha).
 */
export function lineEvents(events: TensorBoardSink, line: LineResult): void {
  const tag = `line/${line.from}-${line.to}`;
  line.points.forEach((p, i) =>
    events.scalars('lines', i, {
      [`${tag}/alpha`]: p.alpha,
      ...(p.train
        ? { [`${tag}/train_loss`]: p.train.loss, [`${tag}/train_accuracy`]: p.train.accuracy }
        : {}),
      ...(p.test
        ? { [`${tag}/test_loss`]: p.test.loss, [`${tag}/test_accuracy`]: p.test.accuracy }
        : {}),
    }),
  );
}

/** Between pieces of work: a SIGTERM or SIGINT that came stops the study here. */
export async function stopBefore(piece: string): Promise<void> {
  await throwIfStopped(() => `before ${piece}`);
}

/**
 * A piece's analysis, whose loops stop within one unit of work on a signal (stop.ts): the
 * stop is said of the piece. Nothing of it is written until it ends (one atomic file), so a
 * resume redoes it whole.
 */
async function stoppable<T>(piece: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof RunStopped)) throw error;
    throw stoppedWork(error, piece, '; nothing of it is written (a resume redoes it)');
  }
}

/** Experiment A between the final states of two arms of a seed; skipped when written. */
export async function runLine(
  study: StudyConfig,
  runDir: string,
  data: StudyData,
  seed: number,
  [from, to]: [string, string],
  progress: Progress,
): Promise<void> {
  if (fs.existsSync(lineFile(runDir, seed, from, to))) return;
  const piece = `the line ${from} -> ${to} of seed ${seed}`;
  await stopBefore(piece);
  const a = finalCheckpoint(runDir, seed, from);
  const b = finalCheckpoint(runDir, seed, to);
  if (!a || !b) return; // an arm that diverged before its first epoch
  const network = new Network(networkSpec(study.network), { seed });
  loadNetwork(a, network);
  const wa = solutionOf(network, from);
  loadNetwork(b, network);
  const wb = solutionOf(network, to);
  const line = await stoppable(piece, () =>
    lossAlongLine(
      network,
      wa,
      wb,
      data,
      {
        ...DEFAULT_LINE,
        alphas: parseGrid(study.lines.alpha, 'lines.alpha'),
        bn: study.lines.bn,
        sampleSize: Math.min(study.lines.sampleSize, data.train.size),
        seed,
      },
      (done, total) => progress.work(`seed ${seed} line ${from} -> ${to}`, done, total),
    ),
  );
  // events first: a kill between the two redoes the line, and the sink skips what it holds
  lineEvents(seedEvents(runDir, seed), line);
  writeStudyLine(runDir, seed, line);
  progress.line(
    `seed ${seed}: line ${from} -> ${to} done (${line.points.length} points, ${line.seconds.toFixed(1)} s)`,
  );
}

/** The sharpness of an arm's final state; skipped when written or when the arm has none. */
export async function runSharpness(
  study: StudyConfig,
  runDir: string,
  data: StudyData,
  seed: number,
  phase: string,
  progress: Progress,
): Promise<void> {
  if (!study.sharpness) return;
  if (fs.existsSync(sharpnessFile(runDir, seed, phase))) return;
  const checkpoint = finalCheckpoint(runDir, seed, phase);
  if (!checkpoint) return;
  const piece = `the sharpness of ${phase} of seed ${seed}`;
  await stopBefore(piece);
  const network = new Network(networkSpec(study.network), { seed });
  loadNetwork(checkpoint, network);
  const sharpness = study.sharpness;
  const record: StudySharpness = {
    seed,
    phase,
    ...(await stoppable(piece, () =>
      measureSharpnessForStudy(network, data, sharpness, seed, (stage, done, total) =>
        progress.work(`seed ${seed} sharpness of ${phase}: ${stage}`, done, total),
      ),
    )),
  };
  writeStudySharpness(runDir, record);
  progress.line(`seed ${seed}: sharpness of ${phase} done`);
}

/** Training trajectories of a seed: process 1 and every arm in one plane (when configured). */
export async function runTrajectory(
  study: StudyConfig,
  runDir: string,
  data: StudyData,
  seed: number,
  progress: Progress,
): Promise<void> {
  if (!study.trajectory) return;
  if (fs.existsSync(trajectoryFile(runDir, seed))) return;
  const piece = `the trajectory of seed ${seed}`;
  await stopBefore(piece);
  const config = study.trajectory;
  const trajectory = await stoppable(piece, () =>
    studyTrajectory(runDir, seed, networkSpec(study.network), data, study, config, (done, total) =>
      progress.work(`seed ${seed} trajectory`, done, total),
    ),
  );
  if (!trajectory) return;
  writeStudyTrajectory(runDir, seed, trajectory);
  progress.line(
    `seed ${seed}: trajectory done (${study.trajectory.points ** 2} points, ${trajectory.seconds.toFixed(1)} s)`,
  );
}

/**
 * Writes config.json of a study run directory, or checks that the one there is this
 * study's, under the study lock (pieces started at once in parallel all come here).
 */
export function prepareStudyDirectory(study: StudyConfig, runDir: string, data: StudyData): void {
  fs.mkdirSync(locksDir(runDir), { recursive: true });
  withLock(studyLockFile(runDir), `the study files of ${runDir}`, () => {
    if (holdsRun(runDir)) {
      const stored = readStudyConfigFile(runDir);
      if (JSON.stringify(stored.study) !== JSON.stringify(study))
        throw new GradscopeInputError(
          `the config differs from the config.json of ${runDir}; run its pieces with the same config`,
        );
      return;
    }
    writeStudyConfigFile(runDir, study, data);
  });
}

/** The work of one training, line or sharpness piece (the report is the command's). */
export async function runPieceWork(
  study: StudyConfig,
  runDir: string,
  data: StudyData,
  piece: Piece,
  progress: Progress,
): Promise<void> {
  const seed = piece.seed!;
  if (piece.kind === 'process1' || piece.kind === 'arm') {
    const seedRun = seedDir(runDir, seed);
    await stopBefore(piece.name);
    progress.line(`${piece.name}: training in ${seedRun}`);
    await runTraining(trainConfigOf(study, seed), seedRun, {
      resume: holdsRun(seedRun),
      progress,
      data,
      afterEpoch: analysisHook(study.analysis, seed, progress),
      alsoRecord: { analysis: study.analysis },
      only: piece.phase!,
      events: seedEvents(runDir, seed),
    });
  } else if (piece.kind === 'line') await runLine(study, runDir, data, seed, piece.pair!, progress);
  else if (piece.kind === 'sharpness')
    await runSharpness(study, runDir, data, seed, piece.phase!, progress);
  else if (piece.kind === 'trajectory') await runTrajectory(study, runDir, data, seed, progress);
}

/**
 * Runs the named pieces (not the report), each under its lock, in the plan's order; a
 * piece already done is skipped, one whose dependencies are not done is refused.
 */
export async function runPieces(
  study: StudyConfig,
  runDir: string,
  names: string[],
  options: { progress: Progress; data?: StudyData },
): Promise<void> {
  const all = studyPieces(study);
  const chosen = all.filter((p) => names.includes(p.name) && p.kind !== 'report');
  if (chosen.length === 0) return;
  // refused before anything is written: each piece's dependencies done, or chosen before it
  const ready = donePieces(runDir, all);
  for (const piece of chosen) {
    checkReady(piece, ready);
    ready.add(piece.name);
  }
  const data =
    options.data ??
    loadData(study.data, {
      standardise: study.standardise,
      ...(study.subset ? { subset: study.subset } : {}),
      ...tokenWindowsFor(networkSpec(study.network)),
    });
  prepareStudyDirectory(study, runDir, data);
  for (const piece of chosen) {
    checkReady(piece, donePieces(runDir, all));
    const release = acquireLock(pieceLockFile(runDir, piece.name), `the piece ${piece.name}`);
    try {
      if (donePieces(runDir, all).has(piece.name)) {
        options.progress.line(`${piece.name}: already done`);
        continue;
      }
      await runPieceWork(study, runDir, data, piece, options.progress);
      options.progress.line(`${piece.name}: done`);
    } finally {
      release();
    }
  }
}
