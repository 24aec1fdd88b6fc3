/**
 * Reading a file in bounded pieces: the readers first read a prefix and a header, check
 * what they declare against the file's size, and only then read the rest. Only regular
 * files are accepted: /dev/zero would grow a read without bound and opening a FIFO blocks
 * until someone writes to it. The name is checked before it is opened (a device is never
 * opened), the file is opened once without blocking, and what was opened is checked again
 * (a name swapped for a FIFO in between is refused, never read).
 */
import * as fs from 'fs';
import { GradscopeFileError } from './errors';

export interface RegularFile {
  file: string;
  fd: number;
  size: number;
}

/** What the caller calls a directory given where a file was expected. */
export interface OpenWording {
  directory: string;
  /** What a missing file is called ("file not found" unless said). */
  missing?: string;
}

export function openRegularFile(
  file: string,
  wording: OpenWording = { directory: 'is a directory, not a file' },
): RegularFile {
  const check = (stat: fs.Stats) => {
    if (stat.isDirectory()) return new GradscopeFileError(file, wording.directory);
    if (!stat.isFile()) return new GradscopeFileError(file, `not a regular file (${kindOf(stat)})`);
    return undefined;
  };
  let refused: GradscopeFileError | undefined;
  try {
    refused = check(fs.statSync(file));
  } catch (error) {
    throw failure(file, error, wording);
  }
  if (refused) throw refused;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    throw failure(file, error, wording);
  }
  const stat = fs.fstatSync(fd); // the file opened, not whatever the name meant before
  refused = check(stat);
  if (refused) {
    fs.closeSync(fd);
    throw refused;
  }
  return { file, fd, size: stat.size };
}

/** Exactly `length` bytes from `position`; a file that shrank meanwhile is named. */
export function readAt(opened: RegularFile, position: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(opened.fd, out, done, length - done, position + done);
    if (n === 0) throw new GradscopeFileError(opened.file, 'changed size while being read');
    done += n;
  }
  return out;
}

export function closeFile(opened: RegularFile): void {
  fs.closeSync(opened.fd);
}

/** Opens `file`, runs `read` on it and closes it whatever happens. */
export function withRegularFile<T>(
  file: string,
  read: (opened: RegularFile) => T,
  wording?: OpenWording,
): T {
  const opened = openRegularFile(file, wording);
  try {
    return read(opened);
  } finally {
    closeFile(opened);
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a plain file';
}

function failure(file: string, error: unknown, wording: OpenWording): GradscopeFileError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new GradscopeFileError(file, wording.missing ?? 'file not found');
  if (code === 'EACCES' || code === 'EPERM')
    return new GradscopeFileError(file, 'permission denied');
  return new GradscopeFileError(file, `cannot be read (${code ?? (error as Error).message})`);
}

/** A small text file (a layer list, a config) whole: regular files of at most `maxBytes`. */
export function readTextFile(file: string, maxBytes: number): string {
  return withRegularFile(file, (opened) => {
    if (opened.size > maxBytes)
      throw new GradscopeFileError(
        file,
        `${opened.size} bytes, more than the ${maxBytes} expected`,
      );
    return readAt(opened, 0, opened.size).toString('utf8');
  });
}
