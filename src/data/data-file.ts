/**
 * Reads one dataset file whole, gunzipping it when it starts with the gzip magic bytes
 * (1f 8b), whatever its name. Every failure becomes one GradscopeFileError line naming the
 * file, so a bad --data never surfaces as a bare ENOENT or zlib stack.
 *
 * Bounded, before anything is inflated: the caller says, from the first bytes of the content
 * (for IDX, its header), how many bytes the whole content may hold, and the global cap
 * (GRADSCOPE_MAX_INFLATE_BYTES, src/core/size-caps.ts) bounds that in turn. A plain file is
 * judged by its size before it is read; a gzip file is inflated no further than the bound
 * (an 8 MB gzip can inflate to gigabytes, and a header can lie), its first bytes found by
 * inflating growing compressed prefixes, each itself bounded. Regular files only.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { GradscopeFileError } from '../core/errors';
import { readAt, withRegularFile } from '../core/regular-file';
import { checkUnpackedSize, inflateCap, overCap } from '../core/size-caps';

export interface ContentBound {
  /** How many leading content bytes `limit` needs to see. */
  prefixBytes: number;
  /** The most bytes the whole content may hold, judged from its first bytes (or throws). */
  limit: (prefix: Uint8Array) => number;
  /** The problem when the content exceeds the limit; `found` says by how much. */
  tooLong: (found: string) => string;
  /** For a plain file, before it is read: throws where its size cannot be right. */
  checkSize?: (prefix: Uint8Array, size: number) => void;
}

const UNBOUNDED: ContentBound = {
  prefixBytes: 0,
  limit: () => Number.MAX_SAFE_INTEGER,
  tooLong: (found) => `too large to read (${found})`,
};

export function readDataFile(file: string, bound: ContentBound = UNBOUNDED): Uint8Array {
  const cap = inflateCap();
  const bytes = withRegularFile(
    file,
    (opened) => {
      const magic = readAt(opened, 0, Math.min(2, opened.size));
      if (magic.length < 2 || magic[0] !== 0x1f || magic[1] !== 0x8b) {
        const prefix = readAt(opened, 0, Math.min(bound.prefixBytes, opened.size));
        const limit = bound.limit(prefix);
        bound.checkSize?.(prefix, opened.size);
        if (opened.size > limit)
          throw new GradscopeFileError(file, bound.tooLong(`the file holds ${opened.size}`));
        checkUnpackedSize(file, 'its content', opened.size, cap);
        return readAt(opened, 0, opened.size);
      }
      // the header first (a claim past the cap is refused from it), read from a prefix
      const prefix = inflatePrefix(
        (take) => readAt(opened, 0, Math.min(take, opened.size)),
        opened.size,
        bound.prefixBytes,
        file,
        cap.most,
      );
      const limit = bound.limit(prefix);
      // deflate saves at most ~1032-fold; a compressed file past the cap cannot fit it
      if (opened.size > cap.most)
        throw overCap(file, `a compressed file of ${opened.size} bytes`, cap);
      const raw = readAt(opened, 0, opened.size);
      const most = Math.min(limit, cap.most);
      try {
        return zlib.gunzipSync(raw, { maxOutputLength: Math.max(1, most) });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE')
          throw notGzip(file, error);
        if (limit <= cap.most)
          throw new GradscopeFileError(file, bound.tooLong(`it inflates to more than ${limit}`));
        throw overCap(file, `it inflates to more than ${cap.most} bytes`, cap);
      }
    },
    { directory: 'is a folder, expected a file' },
  );
  // A plain Uint8Array view (not a Buffer), so callers and tests see one array type.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * At least `wanted` leading bytes of the inflated content (fewer if it is shorter), inflating
 * ever longer compressed prefixes (doubling, from 64 bytes). Each try's output is bounded by
 * `most`: where a prefix inflates past it (a bomb right behind a slow start), the prefix
 * length is bisected between the last try that gave too little and that one, so no try ever
 * holds more than `most` bytes.
 */
function inflatePrefix(
  read: (take: number) => Buffer,
  size: number,
  wanted: number,
  file: string,
  most: number,
): Uint8Array {
  if (wanted === 0) return new Uint8Array(0);
  const bound = Math.max(wanted, Math.min(most, 16 * 2 ** 20));
  const inflate = (take: number): Buffer | 'too long' => {
    try {
      return zlib.gunzipSync(read(take), {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
        maxOutputLength: bound,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return 'too long';
      throw notGzip(file, error);
    }
  };
  let short = 0; // a prefix length known to give fewer than `wanted` bytes
  for (let take = 64; ; take *= 2) {
    take = Math.min(take, size);
    const out = inflate(take);
    if (out !== 'too long') {
      if (out.length >= wanted || take >= size) return out.subarray(0, wanted);
      short = take;
      continue;
    }
    let long = take; // gives more than `bound` bytes
    while (long - short > 1) {
      const mid = Math.floor((short + long) / 2);
      const got = inflate(mid);
      if (got === 'too long') long = mid;
      else if (got.length < wanted) short = mid;
      else return got.subarray(0, wanted);
    }
    // one compressed byte more takes the output from short of `wanted` past `bound`
    throw new GradscopeFileError(file, 'is not a valid gzip file (its first bytes never come)');
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
