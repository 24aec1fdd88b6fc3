/**
 * Removes the temporary files that writeFileAtomic's writers left when they were killed
 * (6-12 MB each for a checkpoint, never renamed, never read). Only files of the writer's
 * own naming pattern are touched, and only when the process whose PID the name carries is
 * no longer alive, so a writer still at work (another arm, another job) keeps its file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TEMPORARY_NAME } from './atomic-write';

/**
 * Removes stale temporaries in `dir` and every folder below it (only in `dir` itself where
 * `below` is false: a data folder's thousands of image folders); returns those removed.
 */
export function removeStaleTemporaries(dir: string, below = true): string[] {
  if (!fs.existsSync(dir)) return [];
  const removed: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!below) continue;
      removed.push(...removeStaleTemporaries(file));
      continue;
    }
    const match = TEMPORARY_NAME.exec(entry.name);
    if (!entry.isFile() || !match || isAlive(Number(match[1]))) continue;
    fs.rmSync(file, { force: true });
    removed.push(file);
  }
  return removed;
}

/** Signal 0 tests for a process without touching it; EPERM means it exists (not ours). */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
