/**
 * The whole study from a config, as a directory that can be killed at any moment
 * and resumed, skipping work already done:
 *
 *   config.json                   the study config (a resume must match it)
 *   seeds/<s>/                    one training run per seed (src/train/run.ts):
 *                                 process 1, the branch, one arm per B2, Experiment B points
 *   lines/seed-<s>-<a>-<b>.json   Experiment A between final states of two arms
 *   sharpness/seed-<s>-<phase>.json   sharpness of each arm's final state (when configured)
 *   trajectories/seed-<s>.json    process 1 and every arm in one PCA plane (when configured)
 *   tensorboard/<s>/<phase>/      TensorBoard event files (epochs, Experiment B), and
 *   tensorboard/<s>/lines/        each line's loss by alpha index
 *   report.html, report.json, tables/, figures/
 *
 * Each piece of work is written atomically and skipped when its file exists. The paths and
 * files are src/store/'s.
 */
import * as fs from 'fs';
import { loadData, type StudyData } from '../data/load';
import { removeStaleTemporaries } from '../core/stale-temporaries';
import { acquireLock, lockRunDirectory } from '../core/lock';
import { GradscopeInputError } from '../core/errors';
import { networkSpec } from '../models';
import { tokenWindowsFor } from '../engine/data-options';
import type { Progress } from '../train/progress';
import { checkRunDirectory, runTraining, type PhaseSummary } from '../train/run';
import { analysisHook } from './analysis-schedule';
import type { StudyConfig } from './config';
import { runLine, runSharpness, runTrajectory, seedEvents } from './piece-work';
import { holdsRun, readStudyConfigFile, writeStudyConfigFile } from '../store/config-file';
import { locksDir, pieceLockFile, seedDir } from '../store/study-paths';
import { pieceName } from './pieces';
import { trainConfigOf } from './train-config';

/** The pieces' locks (pieces.ts), held while a sequential run does their work, so that a
 * process running one of them alone (--only) never writes it at the same time. */
async function underPieceLock<T>(
  runDir: string,
  pieces: string | string[],
  work: () => Promise<T>,
): Promise<T> {
  fs.mkdirSync(locksDir(runDir), { recursive: true });
  const releases: (() => void)[] = [];
  try {
    for (const piece of [pieces].flat())
      releases.push(acquireLock(pieceLockFile(runDir, piece), `the piece ${piece}`));
    return await work();
  } finally {
    for (const release of releases) release();
  }
}

export interface StudyResult {
  runDir: string;
  seeds: { seed: number; phases: PhaseSummary[] }[];
}

/**
 * Runs the study under the run directory's lock (see runTraining): every seed's training,
 * its lines, the sharpness of each arm's final state when `study.sharpness` is set, and its
 * trajectories when `study.trajectory` is set.
 *
 * @example
 * ```ts
 * import { makeProgress, runStudy, thesisConfig, writeStudyReport } from 'gradscope';
 * const study = await runStudy(thesisConfig('F1'), 'runs/thesis-f1', {
 *   resume: true,
 *   progress: makeProgress({ quiet: false }),
 * });
 * console.log(study.seeds.length, writeStudyReport(study.runDir).file); // .../report.html
 * ```
 */
export async function runStudy(
  study: StudyConfig,
  runDir: string,
  options: { resume: boolean; progress: Progress },
): Promise<StudyResult> {
  if (options.resume) checkRunDirectory(runDir, true);
  const data = loadData(study.data, {
    standardise: study.standardise,
    ...(study.subset ? { subset: study.subset } : {}),
    ...tokenWindowsFor(networkSpec(study.network)),
  });
  const release = lockRunDirectory(runDir);
  try {
    return await studyLocked(study, runDir, data, options);
  } finally {
    release();
  }
}

async function studyLocked(
  study: StudyConfig,
  runDir: string,
  data: StudyData,
  options: { resume: boolean; progress: Progress },
): Promise<StudyResult> {
  checkRunDirectory(runDir, options.resume);
  if (options.resume) {
    const stored = readStudyConfigFile(runDir);
    if (JSON.stringify(stored.study) !== JSON.stringify(study))
      throw new GradscopeInputError(
        `--resume: the config differs from the run's config.json; resume with the same config`,
      );
  }
  // lines, tables, config.json: left by a kill mid-write (a fresh start too, into a directory
  // whose first run was killed before its config.json landed)
  removeStaleTemporaries(runDir);
  networkSpec(study.network); // a network that cannot be built is refused before config.json
  if (!options.resume) {
    fs.mkdirSync(runDir, { recursive: true });
    writeStudyConfigFile(runDir, study, data);
  }
  const { progress } = options;
  const result: StudyResult = { runDir, seeds: [] };

  for (const seed of study.seeds) {
    const seedRun = seedDir(runDir, seed);
    const resumeSeed = holdsRun(seedRun);
    progress.line(`seed ${seed}: ${resumeSeed ? 'continuing' : 'starting'} training in ${seedRun}`);
    const training = [
      pieceName(seed, 'process1'),
      ...study.process2.arms.map((b2) => pieceName(seed, `arm-${b2}`)),
    ];
    const train = await underPieceLock(runDir, training, () =>
      runTraining(trainConfigOf(study, seed), seedRun, {
        resume: resumeSeed,
        progress,
        data,
        afterEpoch: analysisHook(study.analysis, seed, progress),
        alsoRecord: { analysis: study.analysis },
        events: seedEvents(runDir, seed),
      }),
    );
    result.seeds.push({ seed, phases: train.phases });

    for (const pair of study.lines.pairs)
      await underPieceLock(runDir, pieceName(seed, `line-${pair[0]}-${pair[1]}`), () =>
        runLine(study, runDir, data, seed, pair, progress),
      );
    if (study.sharpness)
      for (const b2 of study.process2.arms)
        await underPieceLock(runDir, pieceName(seed, `sharpness-arm-${b2}`), () =>
          runSharpness(study, runDir, data, seed, `arm-${b2}`, progress),
        );
    if (study.trajectory)
      await underPieceLock(runDir, pieceName(seed, 'trajectory'), () =>
        runTrajectory(study, runDir, data, seed, progress),
      );
  }
  return result;
}
