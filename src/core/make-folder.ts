/**
 * `mkdir -p` that always returns. Node's own `fs.mkdirSync(dir, { recursive: true })`
 * spins for ever where creating a folder fails with ENOENT although its parent exists
 * (under /proc, some FUSE and network mounts); here each missing folder is created
 * once, from the nearest existing one down, and the first failure is thrown.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Returns the folders it made, deepest last. */
export function makeFolder(dir: string): string[] {
  const missing: string[] = [];
  let at = path.resolve(dir);
  while (!fs.existsSync(at) && path.dirname(at) !== at) {
    missing.push(at);
    at = path.dirname(at);
  }
  for (const folder of missing.reverse()) {
    try {
      fs.mkdirSync(folder);
    } catch (error) {
      // another process made it in the meantime
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(folder).isDirectory())
        throw error;
    }
  }
  return missing;
}
