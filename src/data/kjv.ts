/**
 * The built-in text corpus: the King James Bible (1611, public domain) as Debian's package
 * bible-kjv-text installs it, /usr/lib/bible.data (or the file in GRADSCOPE_KJV), so that a
 * language-model demo needs no download, as Fashion-MNIST needs none.
 *
 * The file is the Bible Retrieval System's windowed compressed text (Chip Chapin, 1989; its
 * tsl.h and compresslib.c): "EC02", an 80-byte description, then big-endian uint32s: the
 * window size W (bytes of text per window), the number of windows N and N + 1 file offsets
 * (window k's compressed bytes lie between offsets k and k + 1); before window 0 stand the
 * three header bytes of Unix `compress` (1f 9d, then block mode and the largest code width).
 * Each window is compressed on its own by compress's LZW (codes 9 to 16 bits, least
 * significant bit first, read n-bit codes eight at a time, code 256 clears the table) and
 * inflates to exactly W bytes, the last to at most W.
 *
 * The text is one verse a line, "Ge1:1 In the beginning God created the heaven and the
 * earth.", after a title line. The corpus keeps the verses alone, one a line (the title and
 * the "Book C:V " references dropped): 31 102 lines, 4 137 850 bytes of ASCII.
 *
 * Bounded: W x N is checked against the inflation cap before anything is inflated, every
 * window's output is stopped at W bytes, and a code the table cannot hold yet is refused.
 */
import { GradscopeFileError } from '../core/errors';
import { readAt, withRegularFile } from '../core/regular-file';
import { checkUnpackedSize } from '../core/size-caps';

export const KJV_DEBIAN_FILE = '/usr/lib/bible.data';

const HEADER = 84; // magic, version, description
const REFERENCE = /^[1-3]?[A-Z][A-Za-z]*\d+:\d+ /;

/** The file the built-in corpus is read from: GRADSCOPE_KJV when set, else Debian's. */
export function kjvFile(): string {
  return process.env['GRADSCOPE_KJV'] || KJV_DEBIAN_FILE;
}

/** The verses of the King James Bible in `file`, one a line, as UTF-8 (ASCII) bytes. */
export function readKjv(file: string): Uint8Array {
  const raw = withRegularFile(
    file,
    (opened) => {
      checkUnpackedSize(file, 'the compressed Bible', opened.size);
      return readAt(opened, 0, opened.size);
    },
    {
      directory: 'is a folder, expected the Bible data file',
      missing:
        "no such file: install Debian's bible-kjv-text package or set GRADSCOPE_KJV to its bible.data",
    },
  );
  return versesOf(inflateBible(raw, file), file);
}

/** The text the windows hold, whole. */
export function inflateBible(raw: Uint8Array, file: string): Uint8Array {
  const fail = (problem: string) => new GradscopeFileError(file, problem);
  const text = (from: number, to: number) => Buffer.from(raw.subarray(from, to)).toString('latin1');
  if (raw.length < HEADER + 8 || text(0, 4) !== 'EC02')
    throw fail('is not the Bible Retrieval System\'s text file (no "EC02" magic)');
  const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const windowSize = view.getUint32(HEADER);
  const windows = view.getUint32(HEADER + 4);
  const tableEnd = HEADER + 8 + 4 * (windows + 1);
  if (windowSize < 1 || windows < 1 || tableEnd + 3 > raw.length)
    throw fail(
      `has a bad header (${windows} windows of ${windowSize} bytes in ${raw.length} bytes)`,
    );
  checkUnpackedSize(file, `its ${windows} windows of ${windowSize} bytes`, windows * windowSize);
  const magic = raw.subarray(tableEnd, tableEnd + 3);
  if (magic[0] !== 0x1f || magic[1] !== 0x9d || (magic[2]! & 0x80) === 0)
    throw fail('is not compressed as expected (no block-mode compress header before window 0)');
  const maxBits = magic[2]! & 0x1f;
  if (maxBits < 9 || maxBits > 16) throw fail(`uses ${maxBits}-bit codes (expected 9 to 16)`);
  const out = new Uint8Array(windows * windowSize);
  let length = 0;
  for (let k = 0; k < windows; k++) {
    const start = view.getUint32(HEADER + 8 + 4 * k);
    const end = view.getUint32(HEADER + 12 + 4 * k);
    if (start < tableEnd || end < start || end > raw.length)
      throw fail(`window ${k} lies at bytes ${start}..${end}, outside the file`);
    const into = out.subarray(length, length + windowSize);
    const n = lzwInflate(raw.subarray(start, end), maxBits, into, () =>
      fail(`window ${k} is corrupt`),
    );
    if (n !== windowSize && k !== windows - 1)
      throw fail(`window ${k} inflates to ${n} bytes, not ${windowSize}`);
    length += n;
  }
  return out.subarray(0, length);
}

/**
 * Unix compress's LZW in block mode, from `input` into `out` (at most out.length bytes);
 * returns the bytes written. Codes are read n_bits bytes (eight codes) at a time; when the
 * table outgrows the width, or after a clear, the rest of that group is skipped.
 */
function lzwInflate(
  input: Uint8Array,
  maxBits: number,
  out: Uint8Array,
  corrupt: () => Error,
): number {
  const most = 1 << maxBits;
  const prefix = new Uint16Array(most);
  const suffix = new Uint8Array(most);
  const stack = new Uint8Array(most);
  for (let c = 0; c < 256; c++) suffix[c] = c;
  let bits = 9;
  let maxCode = (1 << bits) - 1;
  let free = 257;
  let clear = false;
  let at = 0; // next unread input byte
  let group = 0; // first byte of the current group of codes
  let offset = 0; // bit offset in the group
  let size = 0; // usable bits in the group
  const code = (): number => {
    if (clear || offset >= size || free > maxCode) {
      if (free > maxCode) {
        bits++;
        maxCode = bits === maxBits ? most : (1 << bits) - 1;
      }
      if (clear) {
        bits = 9;
        maxCode = (1 << bits) - 1;
        clear = false;
      }
      const take = Math.min(bits, input.length - at);
      if (take <= 0) return -1;
      group = at;
      at += take;
      offset = 0;
      size = (take << 3) - (bits - 1);
      if (size <= 0) return -1;
    }
    let value = 0;
    for (let i = 0; i < bits; i++) {
      const bit = offset + i;
      if (input[group + (bit >> 3)]! & (1 << (bit & 7))) value |= 1 << i;
    }
    offset += bits;
    return value;
  };
  let n = 0;
  const put = (byte: number) => {
    if (n >= out.length) throw corrupt();
    out[n++] = byte;
  };
  let old = code();
  if (old < 0) return 0;
  if (old > 255) throw corrupt();
  let last = old;
  put(last);
  for (let c = code(); c > -1; c = code()) {
    if (c === 256) {
      clear = true;
      free = 256;
      c = code();
      if (c === -1) break;
    }
    const incoming = c;
    let depth = 0;
    if (c > free) throw corrupt();
    if (c === free) {
      stack[depth++] = last;
      c = old;
    }
    while (c >= 256) {
      if (depth >= most) throw corrupt();
      stack[depth++] = suffix[c]!;
      c = prefix[c]!;
    }
    last = suffix[c]!;
    put(last);
    while (depth > 0) put(stack[--depth]!);
    if (free < most) {
      prefix[free] = old;
      suffix[free] = last;
      free++;
    }
    old = incoming;
  }
  return n;
}

/** The verses alone, one a line: the title line and each line's "Book C:V " dropped. */
function versesOf(text: Uint8Array, file: string): Uint8Array {
  const lines = Buffer.from(text).toString('latin1').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const verses: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const reference = REFERENCE.exec(line);
    if (!reference) throw new GradscopeFileError(file, `line ${i + 1} has no verse reference`);
    verses.push(line.slice(reference[0].length));
  }
  if (verses.length === 0) throw new GradscopeFileError(file, 'holds no verses');
  return new Uint8Array(Buffer.from(`${verses.join('\n')}\n`, 'latin1'));
}
