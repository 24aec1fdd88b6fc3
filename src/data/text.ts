/**
 * A text tokenised by characters, as nanoGPT's shakespeare_char prepare.py does: the
 * vocabulary is the text's own distinct characters (Unicode code points) sorted by code point,
 * id i the i-th of them (`chars`); or by bytes, id = the byte's value, vocabulary 256
 * (`bytes`). A text that is not text is refused in one line naming the file: a NUL byte for
 * either, bytes that are not UTF-8 for `chars` (read it as `bytes:` instead).
 */
import { GradscopeFileError } from '../core/errors';
import { checkUnpackedSize } from '../core/size-caps';

export type TextTokeniser = 'chars' | 'bytes';

export interface TokenisedText {
  /** One id per character (or byte), in text order. */
  tokens: Int32Array;
  /** The vocabulary size V: the distinct characters, or 256. */
  vocabularySize: number;
  /** `chars` only: the character of each id, in id order. */
  vocabulary?: string[];
}

/** The text's bytes as token ids; `file` names it in every refusal. */
export function tokeniseText(
  bytes: Uint8Array,
  tokeniser: TextTokeniser,
  file: string,
): TokenisedText {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new GradscopeFileError(file, `is not text: byte ${nul} is NUL (0x00)`);
  checkUnpackedSize(file, `its ${bytes.length} tokens as int32 ids`, bytes.length * 4);
  if (tokeniser === 'bytes') return { tokens: Int32Array.from(bytes), vocabularySize: 256 };
  const codePoints = decodeUtf8(bytes, file);
  const distinct = [...new Set(codePoints)].sort((a, b) => a - b);
  const idOf = new Map(distinct.map((c, i) => [c, i]));
  const tokens = new Int32Array(codePoints.length);
  for (let i = 0; i < codePoints.length; i++) tokens[i] = idOf.get(codePoints[i]!)!;
  return {
    tokens,
    vocabularySize: distinct.length,
    vocabulary: distinct.map((c) => String.fromCodePoint(c)),
  };
}

/**
 * The code points of UTF-8 `bytes`, or one line naming the first byte that is not UTF-8
 * (overlong forms, surrogates and values past U+10FFFF included, as the standard says).
 */
function decodeUtf8(bytes: Uint8Array, file: string): Uint32Array {
  const out = new Uint32Array(bytes.length);
  let n = 0;
  let i = 0;
  const bad = (at: number) =>
    new GradscopeFileError(
      file,
      `is not UTF-8 text: byte ${at} (0x${bytes[at]!.toString(16).padStart(2, '0')}) is not UTF-8 (read it by bytes with --data bytes:${file})`,
    );
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out[n++] = b;
      i++;
      continue;
    }
    const length =
      b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) throw bad(i);
    let c = b & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k]!;
      if ((next & 0xc0) !== 0x80) throw bad(i);
      c = (c << 6) | (next & 0x3f);
    }
    const shortest = length === 2 ? 0x80 : length === 3 ? 0x800 : 0x10000;
    if (c < shortest || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) throw bad(i);
    out[n++] = c;
    i += length;
  }
  return out.subarray(0, n);
}
