/**
 * checkpoints/branch.safetensors (+ .train.safetensors): process 1's final state, where
 * every arm of process 2 starts (the piggybacked method). It is a copy of process 1's last
 * checkpoint, made with the atomic writer (training state first), from bytes whose
 * checksums were verified. A kill during the copy leaves no branch file, only a temporary
 * one; a resume that finds the branch missing or not verifying makes it again.
 */
import * as fs from 'fs';
import { writeFileAtomic } from '../core/atomic-write';
import { GradscopeFileError } from '../core/errors';
import { decodeSafetensors } from '../engine/safetensors';
import { trainingStateFile } from '../store/checkpoint-files';
import { verifyCheckpoint, warnOnStderr, type Warn } from '../store/latest-checkpoint';

/** Makes sure `branch` holds a verified copy of `source`; true if it (re)wrote it. */
export function ensureBranch(branch: string, source: string, warn: Warn = warnOnStderr): boolean {
  if (fs.existsSync(branch) || fs.existsSync(trainingStateFile(branch))) {
    try {
      verifyCheckpoint(branch);
      return false;
    } catch (error) {
      if (!(error instanceof GradscopeFileError)) throw error;
      warn(`re-creating ${branch} from ${source}: ${error.message}`);
    }
  }
  for (const [from, to] of [
    [trainingStateFile(source), trainingStateFile(branch)],
    [source, branch],
  ] as const) {
    const bytes = fs.readFileSync(from);
    decodeSafetensors(bytes, from); // checks the checksums of exactly the bytes copied
    writeFileAtomic(to, bytes);
  }
  return true;
}
