/**
 * The one rule for "the latest complete checkpoint" of a phase: the newest epoch checkpoint
 * in its folder whose network and training-state files are both there and both verify
 * (format and per-tensor checksums). A resumed phase continues from it; a line, a sharpness
 * measurement or a trajectory takes it as the phase's final state. A damaged one is
 * skipped, never used, and said on stderr (even with --quiet: it changes what the run does),
 * so the work goes on from the one before.
 */
import * as fs from 'fs';
import { GradscopeFileError } from '../core/errors';
import { readCheckpointFile } from '../engine/checkpoint-file';
import { epochFiles, trainingStateFile } from './checkpoint-files';
import { seedCheckpointDir } from './study-paths';

export type Warn = (message: string) => void;

export const warnOnStderr: Warn = (message) => process.stderr.write(`gradscope: ${message}\n`);

/** Reads a checkpoint's network and training-state files whole, checksums and all;
 * throws the GradscopeFileError of the first problem. Nothing is loaded anywhere. */
export function verifyCheckpoint(file: string): void {
  readCheckpointFile(file);
  readCheckpointFile(trainingStateFile(file));
}

/**
 * The latest complete checkpoint of the phase folder `dir`, or undefined when it has none.
 * `skipping` names, in the warning, what passes over a damaged one (e.g. "resume").
 */
export function latestVerifiedCheckpoint(
  dir: string,
  warn: Warn = warnOnStderr,
  skipping = 'resume',
): string | undefined {
  for (const file of epochFiles(dir).reverse()) {
    if (!fs.existsSync(trainingStateFile(file))) continue; // killed between the two writes
    try {
      verifyCheckpoint(file);
      return file;
    } catch (error) {
      if (!(error instanceof GradscopeFileError)) throw error;
      warn(`${skipping} skips checkpoint ${file}, which does not verify: ${error.message}`);
    }
  }
  return undefined;
}

/**
 * The final state of a phase of a study's seed, where its line, sharpness and trajectory
 * start: the phase's latest complete checkpoint, or undefined when it has none (an arm that
 * diverged before its first epoch).
 */
export function finalCheckpoint(
  studyDir: string,
  seed: number,
  phase: string,
  warn: Warn = warnOnStderr,
): string | undefined {
  return latestVerifiedCheckpoint(seedCheckpointDir(studyDir, seed, phase), warn, 'the study');
}
