/**
 * Exclusive locks on files, so that two processes never write the same run (or,
 * later, the same piece of a study) at once. Without one, a second `train --resume`
 * on a directory being written runs alongside the first and both append to
 * metrics.jsonl.
 *
 * A lock is a file created atomically (O_CREAT | O_EXCL: of two creators exactly one
 * succeeds) holding the holder's pid, host and start time, and removed on release
 * or process exit. A lock whose holder is dead (same host, `kill(pid, 0)` fails with
 * ESRCH: a SIGKILL, a crash, a power cut) is stale and is taken over: under a second
 * exclusive file, `<lock>.takeover`, the taker checks the lock still holds that same
 * dead holder, removes it and creates its own with O_EXCL again. Only a holder of
 * the takeover file removes a lock, and it re-reads it first, so two takers cannot
 * both win, nor can a taker remove a lock a live process has just created.
 * A lock held on another host is never taken over (its pid cannot be checked there).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GradscopeInputError } from './errors';
import { makeFolder } from './make-folder';

export interface LockHolder {
  pid: number;
  hostname: string;
  started: string;
}

/** Locks this process holds: reentrant, so a study may lock a directory its parts lock too. */
const held = new Map<string, number>();
let releasedAtExit = false;

/** An empty or unreadable lock older than this is a holder that died while writing it. */
const UNWRITTEN_STALE_MS = 10_000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: alive, another user's
  }
}

/** A live process holds the lock `file` (one on another host, or whose holder is not written
 * yet, counts as live: it cannot be checked from here). */
export function lockHeld(file: string): boolean {
  const holder = readHolder(file);
  if (holder === undefined) return false;
  if (holder === 'unwritten' || holder.hostname !== os.hostname()) return true;
  return isAlive(holder.pid);
}

/** The holder written in `file`; undefined when it is gone, 'unwritten' when empty or cut. */
export function readHolder(file: string): LockHolder | 'unwritten' | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    if (Number.isSafeInteger(h.pid) && typeof h.hostname === 'string') return h;
  } catch {
    // an empty lock: its holder is writing it, or died doing so
  }
  return 'unwritten';
}

function isStale(file: string, holder: LockHolder | 'unwritten'): boolean {
  if (holder === 'unwritten') {
    try {
      return Date.now() - fs.statSync(file).mtimeMs > UNWRITTEN_STALE_MS;
    } catch {
      return false;
    }
  }
  return holder.hostname === os.hostname() && !isAlive(holder.pid);
}

function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    const holder: LockHolder = {
      pid: process.pid,
      hostname: os.hostname(),
      started: new Date().toISOString(),
    };
    fs.writeSync(fd, `${JSON.stringify(holder)}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** Removes `file` if it still holds `stale`, under the takeover file (a no-op while another taker holds that). */
function removeStale(file: string, stale: LockHolder | 'unwritten'): void {
  const guard = `${file}.takeover`;
  if (!tryCreate(guard)) {
    const other = readHolder(guard);
    if (other !== undefined && isStale(guard, other)) fs.rmSync(guard, { force: true });
    return;
  }
  try {
    const now = readHolder(file);
    if (now !== undefined && JSON.stringify(now) === JSON.stringify(stale)) fs.rmSync(file);
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

function releaseAll(): void {
  for (const file of held.keys()) unlinkIfMine(file);
  held.clear();
}

function unlinkIfMine(file: string): void {
  const holder = readHolder(file);
  if (holder !== undefined && holder !== 'unwritten' && holder.pid === process.pid)
    fs.rmSync(file, { force: true });
}

/**
 * Takes the lock `file` for `what` (named in the refusal), or throws a one-line
 * GradscopeInputError naming the holder. Returns the release function.
 */
export function acquireLock(file: string, what: string): () => void {
  const key = path.resolve(file);
  const count = held.get(key);
  if (count === undefined) {
    for (let attempt = 0; ; attempt++) {
      if (tryCreate(key)) break;
      const holder = readHolder(key);
      if (holder !== undefined && !isStale(key, holder)) {
        if (holder === 'unwritten' && attempt < 50) {
          sleep(20); // its creator is writing it
          continue;
        }
        const who =
          holder === 'unwritten'
            ? 'a process that has not written its lock'
            : `process ${holder.pid} on ${holder.hostname} (since ${holder.started})`;
        throw new GradscopeInputError(
          `${what} is in use by ${who}; wait for it to finish (the lock is ${file}; remove it only if that process is gone)`,
        );
      }
      if (attempt >= 50)
        throw new GradscopeInputError(`${what}: could not take over the stale lock ${file}`);
      if (holder !== undefined) removeStale(key, holder);
      sleep(attempt === 0 ? 0 : 5 + Math.floor(Math.random() * 10));
    }
    if (!releasedAtExit) process.once('exit', releaseAll);
    releasedAtExit = true;
  }
  held.set(key, (count ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (held.get(key) ?? 1) - 1;
    if (left > 0) held.set(key, left);
    else {
      held.delete(key);
      unlinkIfMine(key);
    }
  };
}

/**
 * The lock of a run directory, `<dir>/run.lock`. Creates the directory when it is
 * missing, and removes it again on release if nothing was written into it (a run
 * refused before it began leaves nothing behind).
 */
export function lockRunDirectory(dir: string): () => void {
  const exists = fs.existsSync(dir);
  if (exists && !fs.statSync(dir).isDirectory())
    throw new GradscopeInputError(`${dir} is a file, not a run directory; choose another --out`);
  let release: () => void;
  try {
    release = lockInFolder(dir);
  } catch (error) {
    // never recursively: a process that started at the same moment may hold it now
    if (!exists) removeIfEmpty(dir);
    throw error;
  }
  return () => {
    release();
    if (!exists && !held.has(path.resolve(dir, 'run.lock'))) removeIfEmpty(dir);
  };
}

/** Makes `dir` and takes its run.lock; makes it again where a starter refused at the same
 * moment removed it, empty, between the two (a few times at most). */
function lockInFolder(dir: string): () => void {
  for (let attempt = 0; ; attempt++) {
    makeFolder(dir);
    try {
      return acquireLock(path.join(dir, 'run.lock'), `the run directory ${dir}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw error;
    }
  }
}

/** Removes the folder `dir` if nothing is in it; leaves it where a file is, or it is gone. */
function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw error;
  }
}

/**
 * Runs `work` under the lock `file`, waiting (up to `waitMs`) while a live process holds
 * it: for short critical sections that several writers share, such as metrics.jsonl of
 * a seed whose arms run in parallel. A stale lock is taken over as acquireLock does.
 */
export function withLock<T>(file: string, what: string, work: () => T, waitMs = 300_000): T {
  const until = Date.now() + waitMs;
  let release: () => void;
  for (;;) {
    try {
      release = acquireLock(file, what);
      break;
    } catch (error) {
      if (!(error instanceof GradscopeInputError) || Date.now() > until) throw error;
      sleep(5 + Math.floor(Math.random() * 20));
    }
  }
  try {
    return work();
  } finally {
    release();
  }
}
