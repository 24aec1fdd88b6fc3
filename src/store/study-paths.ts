/**
 * Every path of a study run directory (`gradscope run CONFIG --out DIR`):
 *
 *   config.json                   the study config (a resume must match it)
 *   seeds/<s>/                    one training run per seed (src/store/run-paths.ts)
 *   lines/seed-<s>-<a>-<b>.json   Experiment A between final states of two arms
 *   sharpness/seed-<s>-<phase>.json   sharpness of each arm's final state (when configured)
 *   trajectories/seed-<s>.json    process 1 and every arm in one PCA plane (when configured)
 *   tensorboard/<s>/              TensorBoard event files of a seed (its phases, its lines)
 *   locks/<piece>.lock, locks/study.lock   who works on what (src/experiments/pieces.ts)
 *   logs/<piece>.log, logs/source.json     the local executor's logs and the study's source
 *   report.json, report.html
 *   tables/, figures/             the report's tables (Markdown, CSV) and figures (SVG, PNG)
 *   slurm/<piece>.sbatch, slurm/submit.sh, slurm/jobs.json, slurm/<piece>-<job>.log
 *                                 `--executor slurm`: job scripts, submissions, job ids, logs
 *
 * Nothing outside src/store/ joins these names.
 */
import * as path from 'path';
import { configFile, phaseCheckpointDir } from './run-paths';

/** The study's config.json is at the same place as a training run's. */
export { configFile };

/** DIR/seeds/<s>, the training run of one seed. */
export function seedDir(studyDir: string, seed: number): string {
  return path.join(studyDir, 'seeds', String(seed));
}

/** DIR/seeds, the folder of seeds. */
export function seedsDir(studyDir: string): string {
  return path.join(studyDir, 'seeds');
}

/** DIR/seeds/<s>/checkpoints/<phase>. */
export function seedCheckpointDir(studyDir: string, seed: number, phase: string): string {
  return phaseCheckpointDir(seedDir(studyDir, seed), phase);
}

/** DIR/lines, Experiment A's lines. */
export function linesDir(studyDir: string): string {
  return path.join(studyDir, 'lines');
}

/** DIR/lines/seed-<s>-<from>-<to>.json. */
export function lineFile(studyDir: string, seed: number, from: string, to: string): string {
  return path.join(linesDir(studyDir), `seed-${seed}-${from}-${to}.json`);
}

/** DIR/sharpness, the arms' sharpness. */
export function sharpnessDir(studyDir: string): string {
  return path.join(studyDir, 'sharpness');
}

/** DIR/sharpness/seed-<s>-<phase>.json. */
export function sharpnessFile(studyDir: string, seed: number, phase: string): string {
  return path.join(sharpnessDir(studyDir), `seed-${seed}-${phase}.json`);
}

/** DIR/trajectories, the seeds' training trajectories. */
export function trajectoriesDir(studyDir: string): string {
  return path.join(studyDir, 'trajectories');
}

/** DIR/trajectories/seed-<s>.json. */
export function trajectoryFile(studyDir: string, seed: number): string {
  return path.join(trajectoriesDir(studyDir), `seed-${seed}.json`);
}

/** DIR/tensorboard/<s>, a seed's TensorBoard event files. */
export function seedTensorboardDir(studyDir: string, seed: number): string {
  return path.join(studyDir, 'tensorboard', String(seed));
}

/** DIR/locks, the pieces' locks. */
export function locksDir(studyDir: string): string {
  return path.join(studyDir, 'locks');
}

/** DIR/locks/<piece>.lock, held while a process works on a piece. */
export function pieceLockFile(studyDir: string, piece: string): string {
  return path.join(locksDir(studyDir), `${piece}.lock`);
}

/** DIR/locks/study.lock, the lock of the study-level files: config.json, and the report. */
export function studyLockFile(studyDir: string): string {
  return path.join(locksDir(studyDir), 'study.lock');
}

/** DIR/logs, the local executor's logs. */
export function logsDir(studyDir: string): string {
  return path.join(studyDir, 'logs');
}

/** DIR/logs/<piece>.log. */
export function pieceLogFile(studyDir: string, piece: string): string {
  return path.join(logsDir(studyDir), `${piece}.log`);
}

/** DIR/logs/source.json, the study's source, for `gradscope status` to say how to retry. */
export function sourceFile(studyDir: string): string {
  return path.join(logsDir(studyDir), 'source.json');
}

/** DIR/report.json, the numbers the report prints. */
export function reportJsonFile(studyDir: string): string {
  return path.join(studyDir, 'report.json');
}

/** DIR/report.html. */
export function reportHtmlFile(studyDir: string): string {
  return path.join(studyDir, 'report.html');
}

/** DIR/tables, the report's tables as Markdown and CSV. */
export function tablesDir(studyDir: string): string {
  return path.join(studyDir, 'tables');
}

/** DIR/tables/<name>, one of the report's tables (its name says which, e.g. table-3.2.csv). */
export function tableFile(studyDir: string, name: string): string {
  return path.join(tablesDir(studyDir), name);
}

/** DIR/figures, the report's figures as SVG and PNG. */
export function figuresDir(studyDir: string): string {
  return path.join(studyDir, 'figures');
}

/** DIR/slurm, what `--executor slurm` writes. */
export function slurmDir(studyDir: string): string {
  return path.join(studyDir, 'slurm');
}

/** DIR/slurm/jobs.json: piece -> every job id submitted for it, the latest last. */
export function jobsFile(studyDir: string): string {
  return path.join(slurmDir(studyDir), 'jobs.json');
}

/** DIR/slurm/submit.sh, the submissions as a shell script. */
export function submitScriptFile(studyDir: string): string {
  return path.join(slurmDir(studyDir), 'submit.sh');
}

/** DIR/slurm/<piece>.sbatch, a piece's job script. */
export function jobScriptFile(studyDir: string, piece: string): string {
  return path.join(slurmDir(studyDir), `${piece}.sbatch`);
}

/** DIR/slurm/<piece>-<job>.log, a piece's job log; job "%j" is sbatch's pattern for its id. */
export function jobLogFile(studyDir: string, piece: string, job: string): string {
  return path.join(slurmDir(studyDir), `${piece}-${job}.log`);
}
