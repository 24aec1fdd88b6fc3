/**
 * A bounded reader of the zip archives numpy writes (.npz): the end-of-central-directory
 * record, then the central directory, then each wanted entry's bytes, stored or deflated
 * (node's zlib inflates, no further than the size the directory declares). Every size and
 * offset is checked against the file's own size before anything is read or allocated, and
 * zip64 sizes (numpy writes its entries with force_zip64) are understood. What the entries
 * would take inflated is checked against a cap (src/core/size-caps.ts) before inflation
 * starts, and an entry that inflates to any other size than it declares is refused.
 */
import * as zlib from 'zlib';
import { GradscopeFileError } from '../core/errors';
import { readAt, type RegularFile } from '../core/regular-file';
import { checkUnpackedSize, inflateCap, type SizeCap } from '../core/size-caps';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeader: number;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** The most a central directory of a few arrays needs; far below a memory problem. */
const MAX_DIRECTORY = 16 * 2 ** 20;

/** The archive's entries by name, from its central directory. */
export function zipEntries(opened: RegularFile): Map<string, ZipEntry> {
  const fail = (problem: string) => new GradscopeFileError(opened.file, problem);
  // the end record is the last 22 bytes plus a comment of at most 65535
  const tail = Math.min(opened.size, 22 + 65535);
  const end = readAt(opened, opened.size - tail, tail);
  let at = -1;
  for (let i = end.length - 22; i >= 0; i--)
    if (end.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  if (at < 0) throw fail('not a zip archive (no end-of-central-directory record)');
  let count = end.readUInt16LE(at + 10);
  let directorySize = end.readUInt32LE(at + 12);
  let directoryOffset = end.readUInt32LE(at + 16);
  const locatorAt = opened.size - tail + at - 20;
  if (
    (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) &&
    locatorAt >= 0
  ) {
    const locator = readAt(opened, locatorAt, 20);
    if (locator.readUInt32LE(0) !== EOCD64_LOCATOR) throw fail('zip64 archive without its locator');
    const recordAt = Number(locator.readBigUInt64LE(8));
    if (recordAt + 56 > opened.size) throw fail('zip64 end record lies outside the file');
    const record = readAt(opened, recordAt, 56);
    if (record.readUInt32LE(0) !== EOCD64) throw fail('damaged zip64 end record');
    count = Number(record.readBigUInt64LE(32));
    directorySize = Number(record.readBigUInt64LE(40));
    directoryOffset = Number(record.readBigUInt64LE(48));
  }
  if (directorySize > MAX_DIRECTORY || directoryOffset + directorySize > opened.size)
    throw fail(`central directory of ${directorySize} bytes does not fit the file`);
  const dir = readAt(opened, directoryOffset, directorySize);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.length || dir.readUInt32LE(p) !== CENTRAL)
      throw fail('damaged central directory');
    const nameLength = dir.readUInt16LE(p + 28);
    const extraLength = dir.readUInt16LE(p + 30);
    const commentLength = dir.readUInt16LE(p + 32);
    if (p + 46 + nameLength + extraLength + commentLength > dir.length)
      throw fail('damaged central directory');
    const entry: ZipEntry = {
      name: dir.toString('utf8', p + 46, p + 46 + nameLength),
      method: dir.readUInt16LE(p + 10),
      compressedSize: dir.readUInt32LE(p + 20),
      size: dir.readUInt32LE(p + 24),
      localHeader: dir.readUInt32LE(p + 42),
    };
    // zip64 extra field: the 64-bit values of those that read 0xffffffff, in this order
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = dir.readUInt16LE(e);
      const length = dir.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const next = () => {
          if (q + 8 > e + 4 + length) throw fail('damaged zip64 extra field');
          const v = Number(dir.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (entry.size === 0xffffffff) entry.size = next();
        if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
        if (entry.localHeader === 0xffffffff) entry.localHeader = next();
      }
      e += 4 + length;
    }
    entries.set(entry.name, entry);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * Refuses, before any of them is inflated, `entries` whose declared sizes add up to more than
 * `limit`: a reader checks all it will inflate at once, so that many entries each below the
 * cap cannot add up to a bomb.
 */
export function checkEntriesFit(
  opened: RegularFile,
  entries: readonly ZipEntry[],
  what: string,
  limit: SizeCap = inflateCap(),
): void {
  const total = entries.reduce((sum, e) => sum + e.size, 0);
  if (total <= limit.most) return;
  const largest = entries.reduce((a, b) => (b.size > a.size ? b : a));
  checkUnpackedSize(
    opened.file,
    `${what} (${entries.length} entries, the largest ${largest.name} of ${largest.size} bytes)`,
    total,
    limit,
  );
}

/** One entry's bytes, inflated no further than its declared size, itself at most `limit`. */
export function zipEntryBytes(
  opened: RegularFile,
  entry: ZipEntry,
  limit: SizeCap = inflateCap(),
): Buffer {
  const fail = (problem: string) =>
    new GradscopeFileError(opened.file, `entry ${entry.name}: ${problem}`);
  checkUnpackedSize(opened.file, `entry ${entry.name}`, entry.size, limit);
  if (entry.localHeader + 30 > opened.size) throw fail('lies outside the file');
  const local = readAt(opened, entry.localHeader, 30);
  if (local.readUInt32LE(0) !== LOCAL) throw fail('damaged local header');
  const start = entry.localHeader + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  if (start + entry.compressedSize > opened.size) throw fail('is truncated');
  if (entry.method !== 0 && entry.method !== 8)
    throw fail(`compression method ${entry.method} (expected stored or deflate)`);
  if (entry.method === 0 && entry.compressedSize !== entry.size)
    throw fail(`stored sizes disagree (${entry.compressedSize} stored, ${entry.size} declared)`);
  const raw = readAt(opened, start, entry.compressedSize);
  if (entry.method === 0) return raw;
  let out: Buffer;
  try {
    // one byte past the declared size, so that a longer stream is seen, not cut silently
    out = zlib.inflateRawSync(raw, { maxOutputLength: entry.size + 1 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw fail(`inflates to more than the ${entry.size} bytes it declares`);
    throw fail(`does not inflate (${(error as Error).message})`);
  }
  if (out.length !== entry.size)
    throw fail(`inflates to ${out.length} bytes, not the ${entry.size} it declares`);
  return out;
}
