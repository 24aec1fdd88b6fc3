/**
 * What a folder of token ids says about them: its meta.json, {"vocab_size": V, "dtype":
 * "uint16" | "uint32"}, or, where there is none, nanoGPT's meta.pkl, the pickled dict
 * {'vocab_size': V, 'itos': ..., 'stoi': ...} that its char-level prepare.py writes.
 *
 * The pickle is never run. Its vocab_size is read where pickle puts a dict's first key: the
 * key 'vocab_size' as SHORT_BINUNICODE (8c 0a, protocols 4 and 5) or BINUNICODE (58 0a 00 00
 * 00, protocols 1 to 3), an optional memo opcode (94 MEMOIZE, 71 BINPUT n, 72 LONG_BINPUT n),
 * then the value as BININT1 (K), BININT2 (M) or BININT (J), little-endian. A meta.pkl in which
 * it is not found so is refused in one line asking for a meta.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseBoundedJson } from '../core/bounded-json';
import { GradscopeFileError } from '../core/errors';
import { readAt, readTextFile, withRegularFile } from '../core/regular-file';

export type TokenDtype = 'uint16' | 'uint32';

export interface TokenMeta {
  vocabularySize?: number;
  dtype?: TokenDtype;
  /** The file that said so, when one did. */
  file?: string;
}

/** Far above a char-level meta.pkl (its itos and stoi: a few kB), far below a memory problem. */
const MAX_META_BYTES = 16 * 2 ** 20;

/** DIR/meta.json, else DIR/meta.pkl, else nothing stated. */
export function readTokenMeta(dir: string): TokenMeta {
  const json = path.join(dir, 'meta.json');
  if (fs.existsSync(json)) return { ...readMetaJson(json), file: json };
  const pickle = path.join(dir, 'meta.pkl');
  if (fs.existsSync(pickle)) return { vocabularySize: readMetaPickle(pickle), file: pickle };
  return {};
}

function readMetaJson(file: string): TokenMeta {
  const parsed = parseBoundedJson(readTextFile(file, MAX_META_BYTES), 8);
  if ('problem' in parsed) throw new GradscopeFileError(file, parsed.problem);
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new GradscopeFileError(file, 'expected a JSON object such as {"vocab_size": 65}');
  const record = value as Record<string, unknown>;
  const size = record['vocab_size'];
  const dtype = record['dtype'];
  if (size !== undefined && !isVocabularySize(size))
    throw new GradscopeFileError(
      file,
      `vocab_size must be a positive integer, not ${JSON.stringify(size)}`,
    );
  if (dtype !== undefined && dtype !== 'uint16' && dtype !== 'uint32')
    throw new GradscopeFileError(
      file,
      `dtype must be "uint16" or "uint32", not ${JSON.stringify(dtype)}`,
    );
  return {
    ...(size !== undefined && { vocabularySize: size as number }),
    ...(dtype !== undefined && { dtype }),
  };
}

function readMetaPickle(file: string): number {
  const bytes = withRegularFile(file, (opened) => {
    if (opened.size > MAX_META_BYTES)
      throw new GradscopeFileError(
        file,
        `${opened.size} bytes, more than the ${MAX_META_BYTES} a meta.pkl may hold`,
      );
    return readAt(opened, 0, opened.size);
  });
  const unreadable = (why: string) =>
    new GradscopeFileError(
      file,
      `${why}; write its vocabulary size into meta.json beside it ({"vocab_size": V})`,
    );
  if (bytes[0] !== 0x80) throw unreadable('is not a pickle (no PROTO opcode)');
  const key = Buffer.from('vocab_size', 'latin1');
  let at = -1;
  for (const prefix of [
    [0x8c, 0x0a],
    [0x58, 0x0a, 0x00, 0x00, 0x00],
  ]) {
    const found = bytes.indexOf(Buffer.concat([Buffer.from(prefix), key]));
    if (found >= 0) {
      at = found + prefix.length + key.length;
      break;
    }
  }
  if (at < 0) throw unreadable("holds no 'vocab_size' key this reader can find");
  if (bytes[at] === 0x94) at += 1;
  else if (bytes[at] === 0x71) at += 2;
  else if (bytes[at] === 0x72) at += 5;
  const op = bytes[at];
  const value =
    op === 0x4b && at + 2 <= bytes.length
      ? bytes[at + 1]!
      : op === 0x4d && at + 3 <= bytes.length
        ? bytes.readUInt16LE(at + 1)
        : op === 0x4a && at + 5 <= bytes.length
          ? bytes.readInt32LE(at + 1)
          : undefined;
  if (value === undefined || !isVocabularySize(value))
    throw unreadable("gives 'vocab_size' a value that is not a small positive integer");
  return value;
}

function isVocabularySize(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0 && (value as number) < 2 ** 31;
}
