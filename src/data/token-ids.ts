/**
 * Token ids a user tokenised, in nanoGPT's layout: a folder holding train.bin and val.bin,
 * each a flat array of little-endian unsigned integers (np.uint16, as nanoGPT's prepare.py
 * writes them, or uint32 for a vocabulary past 65 536), or train.npy and val.npy, 1-D integer
 * arrays. The vocabulary size V (and a .bin's dtype) are stated by the caller's options or by
 * the folder's meta.json ({"vocab_size": 50257, "dtype": "uint16"}) or nanoGPT's meta.pkl
 * (src/data/token-meta.ts); a .bin's dtype, stated nowhere, is nanoGPT's uint16. Every id is
 * checked to lie below V.
 *
 * Bounded: a .bin is read (or gunzipped) no further than the inflation cap, and an .npy's
 * declared shape is checked against it before its data are converted (src/data/npy.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { GradscopeFileError } from '../core/errors';
import { readAt, withRegularFile } from '../core/regular-file';
import { checkUnpackedSize } from '../core/size-caps';
import { readDataFile } from './data-file';
import { parseNpy } from './npy';
import { readTokenMeta, type TokenDtype } from './token-meta';
import { checkTokenIds } from './token-windows';

export interface TokenIdOptions {
  /** The vocabulary size V: every id must be below it. */
  vocabularySize?: number;
  /** A .bin file's element type. */
  dtype?: TokenDtype;
}

export interface TokenIdFolder {
  train: Int32Array;
  validation: Int32Array;
  vocabularySize: number;
  files: string[];
  /** e.g. "uint16 .bin files, vocabulary 65 from DIR/meta.json" */
  what: string;
}

export const TOKEN_FILES = {
  bin: ['train.bin', 'val.bin'],
  npy: ['train.npy', 'val.npy'],
} as const;

const BYTES: Record<TokenDtype, number> = { uint16: 2, uint32: 4 };

/** True when `dir` holds nanoGPT's val.bin or a val.npy beside a train.npy. */
export function isTokenFolder(dir: string): boolean {
  const has = (name: string) => fs.existsSync(path.join(dir, name));
  return has('val.bin') || (has('train.npy') && has('val.npy'));
}

export function readTokenFolder(dir: string, options: TokenIdOptions = {}): TokenIdFolder {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!stat?.isDirectory())
    throw new GradscopeFileError(
      dir,
      stat ? 'is a file, expected a folder of token ids' : 'no such folder of token ids',
    );
  const has = (name: string) => fs.existsSync(path.join(dir, name));
  const kind = has('train.bin') || has('val.bin') ? 'bin' : 'npy';
  const files = TOKEN_FILES[kind].map((name) => path.join(dir, name));
  for (const file of files)
    if (!fs.existsSync(file))
      throw new GradscopeFileError(
        file,
        `file not found (a folder of token ids holds ${TOKEN_FILES[kind].join(' and ')})`,
      );
  const meta = readTokenMeta(dir);
  const metaFile = meta.file ?? path.join(dir, 'meta.json');
  /** The option where given, else meta.json's; both given must agree. */
  const stated = <T extends number | string>(
    given: T | undefined,
    inMeta: T | undefined,
    key: string,
  ) => {
    if (given !== undefined && inMeta !== undefined && given !== inMeta)
      throw new GradscopeFileError(metaFile, `says ${key} ${inMeta} but the options say ${given}`);
    return given ?? inMeta;
  };
  const vocabularySize = stated(options.vocabularySize, meta.vocabularySize, 'vocab_size');
  if (vocabularySize === undefined)
    throw new GradscopeFileError(
      dir,
      `holds token ids but states no vocabulary size: write meta.json beside them ({"vocab_size": V}) or give the vocabulary size`,
    );
  const where = options.vocabularySize !== undefined ? 'by the options' : `in ${metaFile}`;
  const dtype = stated(options.dtype, meta.dtype, 'dtype') ?? 'uint16';
  const read = (file: string, name: string) =>
    kind === 'bin' ? readBin(file, dtype) : readNpyIds(file, name);
  const train = read(files[0]!, 'train');
  const validation = read(files[1]!, 'val');
  checkTokenIds(train, vocabularySize, files[0]!, where);
  checkTokenIds(validation, vocabularySize, files[1]!, where);
  const what =
    kind === 'bin'
      ? `${dtype} .bin token ids, vocabulary ${vocabularySize}`
      : `.npy token ids, vocabulary ${vocabularySize}`;
  return { train, validation, vocabularySize, files, what };
}

/** A flat little-endian array of `dtype`; its size must be a whole number of elements. */
function readBin(file: string, dtype: TokenDtype): Int32Array {
  const bytes = readDataFile(file);
  const size = BYTES[dtype];
  if (bytes.length % size !== 0)
    throw new GradscopeFileError(
      file,
      `holds ${bytes.length} bytes, not a whole number of ${dtype} token ids (${size} bytes each): is its dtype ${dtype}?`,
    );
  const count = bytes.length / size;
  checkUnpackedSize(file, `its ${count} token ids as int32`, count * 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const ids = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const id = size === 2 ? view.getUint16(2 * i, true) : view.getUint32(4 * i, true);
    ids[i] = id > 2 ** 31 - 1 ? -1 : id; // past any vocabulary: checkTokenIds names it
  }
  return ids;
}

/** A 1-D integer .npy array. */
function readNpyIds(file: string, name: string): Int32Array {
  const array = withRegularFile(file, (opened) => {
    checkUnpackedSize(file, 'the array', opened.size);
    return parseNpy(readAt(opened, 0, opened.size), file, name);
  });
  if (array.dtype === 'float32')
    throw new GradscopeFileError(file, `${name}: token ids must be integers, not floats`);
  if (array.shape.length !== 1)
    throw new GradscopeFileError(
      file,
      `${name}: has shape (${array.shape.join(', ')}), expected a 1-D array of token ids`,
    );
  return array.dtype === 'uint8' ? Int32Array.from(array.data) : (array.data as Int32Array);
}
