/**
 * Atomic file write: a reader of `file` sees either its old content or the complete new
 * content, never a partial file, and a crash mid-write leaves the old file in place.
 *
 * The bytes go to a temporary file in the same directory (rename is atomic only within
 * one file system), which is fsynced before it is renamed over the target, so the rename
 * can never expose a file whose data is not yet on disk; the directory is then fsynced so
 * the rename itself survives a power loss.
 *
 * A process killed mid-write leaves its temporary file, named `.NAME.tmp-PID-RANDOM`; a
 * run removes those of dead processes when it starts (stale-temporaries.ts). For the tests
 * that kill a write on purpose, GRADSCOPE_TEST_KILL_WRITING=NAME makes the writer of the
 * file named NAME SIGKILL its own process after GRADSCOPE_TEST_KILL_AFTER_BYTES bytes.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { GradscopeFileError } from './errors';

/** The writer's temporary names: `.NAME.tmp-PID-` and 12 hex digits. Group 1 is the PID. */
export const TEMPORARY_NAME = /^\..+\.tmp-(\d+)-[0-9a-f]{12}$/;

/**
 * A fresh temporary name beside `file`, of the pattern above, carrying `pid` (this process's
 * by default): every temporary gradscope writes takes its name from here, so that
 * removeStaleTemporaries knows it once its process is dead.
 */
export function temporaryPath(file: string, pid = process.pid): string {
  return path.join(
    path.dirname(path.resolve(file)),
    `.${path.basename(file)}.tmp-${pid}-${crypto.randomBytes(6).toString('hex')}`,
  );
}

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const dir = path.dirname(path.resolve(file));
  const temp = temporaryPath(file);
  try {
    const fd = fs.openSync(temp, 'wx');
    try {
      killHereForTests(file, fd, data);
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw new GradscopeFileError(file, `cannot write: ${explain(error)}`);
  }
  syncDirectory(dir);
}

/** The test-only kill (see the header): part of the data on disk, then SIGKILL. */
function killHereForTests(file: string, fd: number, data: Uint8Array | string): void {
  const target = process.env.GRADSCOPE_TEST_KILL_WRITING;
  if (target === undefined || target !== path.basename(file)) return;
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const keep = Math.min(bytes.length, Number(process.env.GRADSCOPE_TEST_KILL_AFTER_BYTES ?? 0));
  fs.writeSync(fd, bytes, 0, keep);
  fs.fsyncSync(fd);
  process.kill(process.pid, 'SIGKILL');
}

/** Makes a rename in `dir` durable; Windows cannot open a directory, and needs no fsync. */
function syncDirectory(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function explain(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'its directory does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
