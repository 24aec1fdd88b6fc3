/**
 * Where a phase resumes: the newest epoch checkpoint in its folder whose network and
 * training-state files both verify (format and per-tensor checksums). A damaged one is
 * skipped, never trained on, and said on stderr (even with --quiet: it changes what the
 * run does), so the run continues from the one before and ends as if nothing happened.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GradscopeFileError } from '../core/errors';
import { trainingStateFile, verifyCheckpoint } from './checkpoint';

export type Warn = (message: string) => void;

export const warnOnStderr: Warn = (message) => process.stderr.write(`gradscope: ${message}\n`);

export function latestVerifiedCheckpoint(
  dir: string,
  warn: Warn = warnOnStderr,
): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const names = fs
    .readdirSync(dir)
    .filter((n) => /^epoch-\d+\.safetensors$/.test(n))
    .sort()
    .reverse();
  for (const name of names) {
    const file = path.join(dir, name);
    if (!fs.existsSync(trainingStateFile(file))) continue; // killed between the two writes
    try {
      verifyCheckpoint(file);
      return file;
    } catch (error) {
      if (!(error instanceof GradscopeFileError)) throw error;
      warn(`resume skips checkpoint ${file}, which does not verify: ${error.message}`);
    }
  }
  return undefined;
}
