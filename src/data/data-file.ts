/**
 * Reads one dataset file whole, gunzipping it when it starts with the gzip magic bytes
 * (1f 8b), whatever its name. Every failure becomes one GradscopeFileError line naming the
 * file, so a bad --data never surfaces as a bare ENOENT or zlib stack.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { GradscopeFileError } from '../engine/errors';

export function readDataFile(file: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GradscopeFileError(file, 'file not found');
    if (code === 'EISDIR') throw new GradscopeFileError(file, 'is a folder, expected a file');
    throw new GradscopeFileError(file, `cannot be read (${code ?? (error as Error).message})`);
  }
  let bytes = raw;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(raw);
    } catch (error) {
      throw new GradscopeFileError(file, `is not a valid gzip file (${(error as Error).message})`);
    }
  }
  // A plain Uint8Array view (not a Buffer), so callers and tests see one array type.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** The first of `names` (each tried as is, then with .gz) that exists in `dir`, or undefined. */
export function findDataFile(dir: string, names: readonly string[]): string | undefined {
  for (const name of names) {
    for (const candidate of [name, `${name}.gz`]) {
      const file = path.join(dir, candidate);
      if (fs.existsSync(file)) return file;
    }
  }
  return undefined;
}
