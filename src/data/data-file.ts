/**
 * Reads one dataset file whole, gunzipping it when it starts with the gzip magic bytes
 * (1f 8b), whatever its name. Every failure becomes one GradscopeFileError line naming the
 * file, so a bad --data never surfaces as a bare ENOENT or zlib stack.
 *
 * Bounded: the caller says, from the first bytes of the content (for IDX, its header), how
 * many bytes the whole content may hold. A plain file larger than that is refused before it
 * is read; a gzip file is inflated only that far (an 8 MB gzip can inflate to gigabytes),
 * its first bytes found by inflating a growing compressed prefix. Regular files only.
 */
import * as fs from 'fs';
import { constants as bufferConstants } from 'buffer';
import * as path from 'path';
import * as zlib from 'zlib';
import { GradscopeFileError } from '../core/errors';
import { readAt, withRegularFile } from '../core/regular-file';

export interface ContentBound {
  /** How many leading content bytes `limit` needs to see. */
  prefixBytes: number;
  /** The most bytes the whole content may hold, judged from its first bytes (or throws). */
  limit: (prefix: Uint8Array) => number;
  /** The problem when the content exceeds the limit; `found` says by how much. */
  tooLong: (found: string) => string;
}

const UNBOUNDED: ContentBound = {
  prefixBytes: 0,
  limit: () => bufferConstants.MAX_LENGTH,
  tooLong: (found) => `too large to read (${found})`,
};

export function readDataFile(file: string, bound: ContentBound = UNBOUNDED): Uint8Array {
  const bytes = withRegularFile(
    file,
    (opened) => {
      const magic = readAt(opened, 0, Math.min(2, opened.size));
      if (magic.length < 2 || magic[0] !== 0x1f || magic[1] !== 0x8b) {
        const limit = bound.limit(readAt(opened, 0, Math.min(bound.prefixBytes, opened.size)));
        if (opened.size > limit)
          throw new GradscopeFileError(file, bound.tooLong(`the file holds ${opened.size}`));
        return readAt(opened, 0, opened.size);
      }
      const raw = readAt(opened, 0, opened.size);
      const limit = Math.min(
        bound.limit(inflatePrefix(raw, bound.prefixBytes, file)),
        bufferConstants.MAX_LENGTH,
      );
      try {
        return zlib.gunzipSync(raw, { maxOutputLength: Math.max(1, limit) });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
          throw new GradscopeFileError(file, bound.tooLong(`it inflates to more than ${limit}`));
        throw notGzip(file, error);
      }
    },
    { directory: 'is a folder, expected a file' },
  );
  // A plain Uint8Array view (not a Buffer), so callers and tests see one array type.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** At least `wanted` leading bytes of the inflated content (fewer if it is shorter),
 * inflating ever longer compressed prefixes: deflate expands at most ~1032-fold, so each
 * try costs about a thousand times the compressed bytes it reads, never the whole stream. */
function inflatePrefix(raw: Buffer, wanted: number, file: string): Uint8Array {
  if (wanted === 0) return new Uint8Array(0);
  for (let take = 64; ; take *= 2) {
    let out: Buffer;
    try {
      out = zlib.gunzipSync(raw.subarray(0, take), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch (error) {
      throw notGzip(file, error);
    }
    if (out.length >= wanted || take >= raw.length) return out.subarray(0, wanted);
  }
}

function notGzip(file: string, error: unknown): GradscopeFileError {
  return new GradscopeFileError(file, `is not a valid gzip file (${(error as Error).message})`);
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
