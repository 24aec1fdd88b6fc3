/**
 * `--out DIR` of the analyses is checked before the analysis runs, not after: an
 * analysis can take hours, and a folder that cannot be written must not be found out
 * only when its results are ready to be saved.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GradscopeInputError } from '../core/errors';
import { makeFolder } from '../core/make-folder';
import { fileErrorMessage, isFileSystemError } from '../core/file-errors';

/**
 * DIR is a folder that can be written: a probe file created and removed in it (the
 * folder and its missing parents made for the probe and removed again, so a command
 * refused later leaves nothing behind), which finds a read-only mount, a missing
 * permission or a full quota even where access(2) says yes (as it does for root).
 */
export function checkOutputFolder(dir: string, option = '--out'): void {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory())
    throw new GradscopeInputError(`${option} ${dir} is a file, not a folder`);
  const probe = path.join(dir, `.gradscope-probe-${process.pid}`);
  try {
    const made = makeFolder(dir);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
    for (const folder of made.reverse()) fs.rmdirSync(folder);
  } catch (error) {
    if (!isFileSystemError(error)) throw error;
    const blocker =
      error.code === 'ENOTDIR' || error.code === 'EEXIST' ? fileAbove(dir) : undefined;
    throw new GradscopeInputError(
      blocker
        ? `${option} ${dir}: ${blocker} is a file, not a folder`
        : `${option} ${dir}: ${fileErrorMessage(error)}`,
    );
  }
}

/** The nearest existing path above `dir`, when it is a file. */
function fileAbove(dir: string): string | undefined {
  let at = path.resolve(dir);
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  return fs.statSync(at).isDirectory() ? undefined : at;
}
