/**
 * File-system failures in the user's words. Node's fs errors carry a `code` (ENOENT,
 * EROFS, ENOSPC, ...) and usually the `path`; a user needs one line saying which
 * path and what is wrong with it, not a stack trace with exit status 1. The command
 * line's error handler maps every such error through `fileErrorMessage`; operations
 * whose errors lack the path (a write on an open descriptor: ENOSPC on a metrics
 * append) are wrapped in `withFile`, which names it.
 */
import { GradscopeFileError } from './errors';

const CAUSES: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EEXIST: 'already exists (a file where a folder is needed, or the reverse)',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a folder, not a file',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files on this system',
  EIO: 'input/output error on the device',
  EFBIG: 'the file is too large for the file system',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EBUSY: 'the file or device is busy',
};

/** True for an error of the file system that `fileErrorMessage` can put in words. */
export function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    (error as NodeJS.ErrnoException).code! in CAUSES
  );
}

/** The cause in words, e.g. "no space left on the device (ENOSPC)". */
export function fileErrorCause(error: NodeJS.ErrnoException): string {
  return `${CAUSES[error.code!] ?? error.message} (${error.code})`;
}

/** "<path>: <cause>" (or the cause alone when the error names no path). */
export function fileErrorMessage(error: NodeJS.ErrnoException): string {
  const cause = fileErrorCause(error);
  const where = error.path ?? (error as { dest?: string }).dest;
  return where ? `${where}: ${cause}` : cause;
}

/** Runs `operation` on `file`, turning a file-system error into a GradscopeFileError naming it. */
export function withFile<T>(file: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    if (!isFileSystemError(error)) throw error;
    throw new GradscopeFileError(file, fileErrorCause(error));
  }
}
