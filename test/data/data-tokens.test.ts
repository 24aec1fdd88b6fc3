/**
 * Token data for language models: a text by characters (nanoGPT's shakespeare_char ids) or by
 * bytes, nanoGPT's uint16 / uint32 train.bin and val.bin, 1-D .npy token arrays, the windows
 * they are cut into (checked against windows written out by hand), the built-in King James
 * Bible when Debian's bible-kjv-text is installed, and every bad input in one line naming its
 * file.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import * as zlib from 'zlib';
import { GradscopeInputError } from '../../src/core/errors';
import { KJV_DEBIAN_FILE, kjvFile, readKjv } from '../../src/data/kjv';
import { locateData, type LocateOptions } from '../../src/data/locate';
import { loadData } from '../../src/data/load';
import { isTokenSet, type DataSource, type TokenSet } from '../../src/data/source';
import { assertFileError, tempDir } from '../fixtures/data-fixtures';

function tokens(
  data: string,
  options: LocateOptions,
): DataSource<TokenSet> & { description: string } {
  const { source, description } = locateData(data, options);
  const { train, test } = source;
  assert.ok(isTokenSet(train) && isTokenSet(test), `${data} should give token windows`);
  return { ...source, train, test, description };
}

/** Window i of a set, as a plain array. */
function window(set: TokenSet, i: number): number[] {
  const width = set.context + 1;
  return Array.from(set.windows.subarray(i * width, (i + 1) * width));
}

function writeText(name: string, text: string | Uint8Array): string {
  const file = path.join(tempDir('gradscope-tokens-'), name);
  fs.writeFileSync(file, text);
  return file;
}

/** A .npy file of a 1-D array, written from the format's description. */
function npyBytes(descr: string, values: number[]): Buffer {
  const size = descr.endsWith('2') ? 2 : descr.endsWith('4') ? 4 : descr.endsWith('8') ? 8 : 1;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${values.length},), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const data = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    if (descr === '<u2') data.writeUInt16LE(v, 2 * i);
    else if (descr === '<i8') data.writeBigInt64LE(BigInt(v), 8 * i);
    else if (descr === '<f4') data.writeFloatLE(v, 4 * i);
    else data.writeUInt32LE(v, 4 * i);
  });
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

function uints(values: number[], bytes: 2 | 4): Buffer {
  const out = Buffer.alloc(values.length * bytes);
  values.forEach((v, i) =>
    bytes === 2 ? out.writeUInt16LE(v, 2 * i) : out.writeUInt32LE(v, 4 * i),
  );
  return out;
}

function tokenFolder(files: Record<string, Uint8Array | string>): string {
  const dir = tempDir('gradscope-token-ids-');
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  return dir;
}

// 45 characters: the first 40 (90%) train, "ddcba" validates. Vocabulary a b c d = ids 0 1 2 3.
const TEXT = 'abc'.repeat(13) + 'a' + 'ddcba';

test('a text by characters: ids in sorted character order, split 90/10, windows of T + 1 at stride T', () => {
  const file = writeText('abc.txt', TEXT);
  const data = tokens(file, { context: 4 });
  assert.equal(data.name, 'text');
  assert.equal(data.tokeniser, 'chars');
  assert.deepEqual(data.vocabulary, ['a', 'b', 'c', 'd']);
  assert.equal(data.classes, 4);
  assert.deepEqual(data.files, [file]);
  // train: 40 tokens -> floor(39 / 4) = 9 windows; validation: 5 tokens -> 1 window
  assert.equal(data.train.count, 9);
  assert.equal(data.train.context, 4);
  assert.equal(data.train.windows.length, 9 * 5);
  assert.deepEqual(window(data.train, 0), [0, 1, 2, 0, 1]); // "abcab"
  assert.deepEqual(window(data.train, 1), [1, 2, 0, 1, 2]); // "bcabc", from the 5th character
  assert.deepEqual(window(data.train, 2), [2, 0, 1, 2, 0]); // "cabca"
  assert.deepEqual(window(data.train, 8), [2, 0, 1, 2, 0]); // characters 32..36
  // consecutive windows share their boundary token: the last target is the next first input
  for (let i = 0; i + 1 < data.train.count; i++)
    assert.equal(window(data.train, i)[4], window(data.train, i + 1)[0]);
  assert.equal(data.test.count, 1);
  assert.deepEqual(window(data.test, 0), [3, 3, 2, 1, 0]); // "ddcba"
  assert.match(
    data.description,
    /^found the text .*abc\.txt: 45 characters, vocabulary 4 characters; 9 train and 1 validation windows of 4 \+ 1 tokens \(90\/10 split\)$/,
  );
});

test('characters are ordered by code point, as Python sorts them, not by UTF-16 units', () => {
  // U+FF71 sorts before U+1D11E by code point; JavaScript's default sort puts the surrogate
  // pair (0xD834...) first. Each character is one token, whatever its UTF-8 length.
  const text = '\u{1D11E}\uFF71\u00E9a'.repeat(10);
  const data = tokens(`chars:${writeText('music', text)}`, { context: 2 });
  assert.deepEqual(data.vocabulary, ['a', '\u00E9', '\uFF71', '\u{1D11E}']);
  assert.equal(data.train.count + data.test.count, Math.floor(35 / 2) + Math.floor(3 / 2));
  assert.deepEqual(window(data.train, 0), [3, 2, 1]);
});

test('a text by bytes: vocabulary 256, ids the byte values, multi-byte characters as several tokens', () => {
  const text = 'h\u00E9llo wor'.repeat(5); // 10 bytes a repeat ('é' is c3 a9)
  const file = writeText('hello.txt', text);
  const data = tokens(`bytes:${file}`, { context: 3 });
  assert.equal(data.classes, 256);
  assert.equal(data.tokeniser, 'bytes');
  assert.equal(data.vocabulary, undefined);
  // 50 bytes: 45 train -> 14 windows; 5 validation -> 1 window
  assert.equal(data.train.count, 14);
  assert.equal(data.test.count, 1);
  assert.deepEqual(window(data.train, 0), [0x68, 0xc3, 0xa9, 0x6c]);
  assert.deepEqual(window(data.train, 1), [0x6c, 0x6c, 0x6f, 0x20]);
  assert.deepEqual(window(data.test, 0), [0x6f, 0x20, 0x77, 0x6f]); // bytes 45..48: "o wo"
});

test('a gzipped text reads as the text it holds', () => {
  const plain = tokens(writeText('plain.txt', TEXT), { context: 4 });
  const gzipped = tokens(`chars:${writeText('packed.gz', zlib.gzipSync(TEXT))}`, { context: 4 });
  assert.deepEqual(gzipped.train.windows, plain.train.windows);
  assert.deepEqual(gzipped.test.windows, plain.test.windows);
});

test("nanoGPT's uint16 train.bin and val.bin, vocabulary from meta.json: the folder's own splits", () => {
  const train = [5, 0, 64, 7, 7, 1, 2, 3, 4];
  const val = [9, 8, 7, 6];
  const dir = tokenFolder({
    'train.bin': uints(train, 2),
    'val.bin': uints(val, 2),
    'meta.json': '{"vocab_size": 65}',
  });
  const data = tokens(dir, { context: 3 }); // found by its val.bin, not taken for CIFAR-100
  assert.equal(data.name, 'tokens');
  assert.equal(data.tokeniser, 'ids');
  assert.equal(data.classes, 65);
  assert.deepEqual(data.files, [path.join(dir, 'train.bin'), path.join(dir, 'val.bin')]);
  assert.equal(data.train.count, 2); // floor(8 / 3)
  assert.deepEqual(window(data.train, 0), [5, 0, 64, 7]);
  assert.deepEqual(window(data.train, 1), [7, 7, 1, 2]);
  assert.equal(data.test.count, 1);
  assert.deepEqual(window(data.test, 0), [9, 8, 7, 6]);
  assert.match(
    data.description,
    /uint16 \.bin token ids, vocabulary 65 .*9 train, 4 validation tokens.*2 train and 1 validation windows of 3 \+ 1 tokens/,
  );
});

test("nanoGPT's meta.pkl gives the vocabulary size, read without running the pickle", (t) => {
  // pickle.dumps({'vocab_size': 65, 'itos': {0: 'a'}}, protocol=4), byte for byte
  const protocol4 = Buffer.from(
    '80049524000000000000007d94288c0a766f6361625f73697a65944b418c0469746f73' +
      '947d944b008c01619473752e',
    'hex',
  );
  const dir = tokenFolder({
    'train.bin': uints([1, 2, 3], 2),
    'val.bin': uints([64, 0, 1], 2),
    'meta.pkl': protocol4,
  });
  const data = tokens(dir, { context: 2 });
  assert.equal(data.classes, 65);
  assert.match(data.description, /vocabulary 65/);
  assertFileError(
    () => locateData(dir, { context: 2, vocabularySize: 64 }),
    path.join(dir, 'meta.pkl'),
    /says vocab_size 65 but the options say 64/,
  );
  fs.writeFileSync(path.join(dir, 'meta.pkl'), Buffer.from('80047d942e', 'hex')); // {}
  assertFileError(
    () => locateData(dir, { context: 2 }),
    path.join(dir, 'meta.pkl'),
    /holds no 'vocab_size' key .*write its vocabulary size into meta\.json/,
  );
  // as Python writes it in every protocol, with vocabularies of 1, 2 and 4 bytes
  if (spawnSync('python3', ['--version']).status !== 0) return t.skip('python3 is not installed');
  for (const protocol of [2, 3, 4, 5])
    for (const size of [65, 50257, 70000]) {
      const pickled = spawnSync('python3', [
        '-c',
        'import pickle, sys; sys.stdout.buffer.write(pickle.dumps({"vocab_size": int(sys.argv[1]), "itos": {0: "a"}, "stoi": {"a": 0}}, protocol=int(sys.argv[2])))',
        String(size),
        String(protocol),
      ]);
      assert.equal(pickled.status, 0, String(pickled.stderr));
      fs.writeFileSync(path.join(dir, 'meta.pkl'), pickled.stdout);
      assert.equal(tokens(dir, { context: 2 }).classes, size, `protocol ${protocol}, ${size}`);
    }
});

test('uint32 .bin token ids with the dtype and vocabulary given as options (tokens:DIR)', () => {
  const train = [70000, 1, 69999, 2, 3];
  const dir = tokenFolder({ 'train.bin': uints(train, 4), 'val.bin': uints([4, 70001, 5], 4) });
  const data = tokens(`tokens:${dir}`, { context: 2, dtype: 'uint32', vocabularySize: 70002 });
  assert.equal(data.classes, 70002);
  assert.deepEqual(window(data.train, 0), [70000, 1, 69999]);
  assert.deepEqual(window(data.train, 1), [69999, 2, 3]);
  assert.deepEqual(window(data.test, 0), [4, 70001, 5]);
});

test('.npy token arrays: train.npy and val.npy, any integer dtype', () => {
  const dir = tokenFolder({
    'train.npy': npyBytes('<u2', [1, 2, 3, 4, 5, 6, 7]),
    'val.npy': npyBytes('<i8', [9, 0, 9]),
    'meta.json': '{"vocab_size": 10}',
  });
  const data = tokens(dir, { context: 2 });
  assert.equal(data.classes, 10);
  assert.equal(data.train.count, 3);
  assert.deepEqual(window(data.train, 2), [5, 6, 7]);
  assert.deepEqual(window(data.test, 0), [9, 0, 9]);
});

test('the built-in corpus: the King James Bible from Debian, 31 102 verses, 63 characters', (t) => {
  if (!process.env['GRADSCOPE_KJV'] && !fs.existsSync(KJV_DEBIAN_FILE))
    return t.skip(`Debian's bible-kjv-text is not installed (no ${KJV_DEBIAN_FILE})`);
  const verses = Buffer.from(readKjv(kjvFile())).toString('latin1').split('\n');
  assert.equal(verses.pop(), ''); // the text ends with a newline
  assert.equal(verses.length, 31102);
  assert.equal(verses[0], 'In the beginning God created the heaven and the earth.');
  assert.equal(verses.at(-1), 'The grace of our Lord Jesus Christ be with you all. Amen.');
  const data = tokens('kjv', { context: 256 });
  const text = data.vocabulary!;
  const decode = (ids: ArrayLike<number>) => Array.from(ids, (id) => text[id]).join('');
  assert.equal(data.name, 'kjv');
  assert.equal(data.classes, 63); // newline, space, 10 marks, 25 + 26 letters (no capital X)
  assert.equal(text.join(''), "\n !'(),-.:;?ABCDEFGHIJKLMNOPQRSTUVWYZabcdefghijklmnopqrstuvwxyz");
  // Genesis 1:1 opens the first window; the total is the book's 4 137 850 characters
  assert.ok(
    decode(window(data.train, 0)).startsWith(
      'In the beginning God created the heaven and the earth.\nAnd the earth was without form',
    ),
  );
  const total = 4137850;
  const cut = Math.floor(total * 0.9);
  assert.equal(data.train.count, Math.floor((cut - 1) / 256));
  assert.equal(data.test.count, Math.floor((total - cut - 1) / 256));
  assert.match(
    data.description,
    /King James Bible .*: 4137850 characters, vocabulary 63 characters/,
  );
  // by bytes the same text is all ASCII: ids are the character codes
  const bytes = tokens('bytes:kjv', { context: 256 });
  assert.equal(bytes.classes, 256);
  assert.equal(String.fromCharCode(...window(bytes.train, 0).slice(0, 16)), 'In the beginning');
});

test('a corpus that is not text: a NUL byte, or bytes that are not UTF-8 when read by characters', () => {
  const nul = writeText('binary.txt', new Uint8Array([0x61, 0x62, 0x00, 0x63]));
  assertFileError(() => locateData(nul, { context: 1 }), nul, /is not text: byte 2 is NUL/);
  assertFileError(
    () => locateData(`bytes:${nul}`, { context: 1 }),
    nul,
    /is not text: byte 2 is NUL/,
  );
  const latin1 = writeText(
    'latin1.txt',
    Buffer.from('caf\u00e9 au lait, caf\u00e9 noir', 'latin1'),
  );
  assertFileError(
    () => locateData(latin1, { context: 1 }),
    latin1,
    /is not UTF-8 text: byte 3 \(0xe9\) is not UTF-8 \(read it by bytes with --data bytes:/,
  );
  // an overlong encoding of "/" and a lone surrogate are not UTF-8 either
  for (const bad of [
    [0x61, 0xc0, 0xaf],
    [0x61, 0xed, 0xa0, 0x80],
  ]) {
    const file = writeText('bad.txt', new Uint8Array(bad));
    assertFileError(
      () => locateData(file, { context: 1 }),
      file,
      /byte 1 \(0x(c0|ed)\) is not UTF-8/,
    );
  }
  // by bytes, the Latin-1 text is fine
  assert.equal(tokens(`bytes:${latin1}`, { context: 1 }).classes, 256);
  const corrupt = writeText('bible.data', 'EC02 but nothing else of the format');
  const saved = process.env['GRADSCOPE_KJV'];
  try {
    process.env['GRADSCOPE_KJV'] = corrupt;
    assertFileError(
      () => locateData('kjv', { context: 8 }),
      corrupt,
      /not the Bible Retrieval System's text file/,
    );
    const missing = path.join(path.dirname(corrupt), 'absent');
    process.env['GRADSCOPE_KJV'] = missing;
    assertFileError(() => locateData('kjv', { context: 8 }), missing, /bible-kjv-text/);
  } finally {
    if (saved === undefined) delete process.env['GRADSCOPE_KJV'];
    else process.env['GRADSCOPE_KJV'] = saved;
  }
});

test('a file shorter than one window: one line naming the file and the split', () => {
  const file = writeText('short.txt', TEXT); // validation: 5 tokens
  assertFileError(
    () => locateData(file, { context: 5 }),
    file,
    /its validation split \(the last 10%\) holds 5 tokens, fewer than one window of context \+ 1 = 6/,
  );
  assertFileError(
    () => locateData(file, { context: 40 }),
    file,
    /its training split \(the first 90%\) holds 40 tokens, fewer than one window of context \+ 1 = 41/,
  );
  const empty = writeText('empty.txt', '');
  assertFileError(() => locateData(empty, { context: 1 }), empty, /holds 0 tokens/);
  const dir = tokenFolder({ 'train.bin': uints([1, 2, 3, 4], 2), 'val.bin': uints([1, 2], 2) });
  assertFileError(
    () => locateData(dir, { context: 2, vocabularySize: 5 }),
    path.join(dir, 'val.bin'),
    /the validation split holds 2 tokens, fewer than one window of context \+ 1 = 3/,
  );
});

test('a token id at or above the vocabulary size: one line naming the file, the id and where V was stated', () => {
  const dir = tokenFolder({
    'train.bin': uints([1, 2, 3, 4], 2),
    'val.bin': uints([1, 65, 3], 2),
    'meta.json': '{"vocab_size": 65}',
  });
  assertFileError(
    () => locateData(dir, { context: 2 }),
    path.join(dir, 'val.bin'),
    /token id 65 at position 1 is outside the vocabulary \[0, 65\) \(its size stated in .*meta\.json\)/,
  );
  const npy = tokenFolder({
    'train.npy': npyBytes('<i8', [0, 1, -1, 2]),
    'val.npy': npyBytes('<u2', [1, 2, 3]),
  });
  assertFileError(
    () => locateData(npy, { context: 2, vocabularySize: 4 }),
    path.join(npy, 'train.npy'),
    /token id -1 at position 2 is outside the vocabulary \[0, 4\) \(its size stated by the options\)/,
  );
  const huge = tokenFolder({
    'train.bin': uints([1, 2 ** 32 - 1, 0], 4),
    'val.bin': uints([0, 0, 0], 4),
  });
  assertFileError(
    () => locateData(huge, { context: 2, dtype: 'uint32', vocabularySize: 4 }),
    path.join(huge, 'train.bin'),
    /token id -1 at position 1 is outside the vocabulary/,
  );
});

test('a .bin of the wrong size for its dtype, a vocabulary stated nowhere or twice differently, a float .npy', () => {
  const odd = tokenFolder({
    'train.bin': Buffer.alloc(7),
    'val.bin': Buffer.alloc(6),
    'meta.json': '{"vocab_size": 4}',
  });
  assertFileError(
    () => locateData(odd, { context: 1 }),
    path.join(odd, 'train.bin'),
    /holds 7 bytes, not a whole number of uint16 token ids \(2 bytes each\): is its dtype uint16\?/,
  );
  const six = tokenFolder({
    'train.bin': Buffer.alloc(8),
    'val.bin': Buffer.alloc(6),
    'meta.json': '{"vocab_size": 4, "dtype": "uint32"}',
  });
  assertFileError(
    () => locateData(six, { context: 1 }),
    path.join(six, 'val.bin'),
    /holds 6 bytes, not a whole number of uint32 token ids \(4 bytes each\)/,
  );
  const unstated = tokenFolder({ 'train.bin': Buffer.alloc(8), 'val.bin': Buffer.alloc(8) });
  assertFileError(
    () => locateData(unstated, { context: 1 }),
    unstated,
    /states no vocabulary size: write meta\.json/,
  );
  assertFileError(
    () => locateData(odd, { context: 1, vocabularySize: 5 }),
    path.join(odd, 'meta.json'),
    /says vocab_size 4 but the options say 5/,
  );
  const badMeta = tokenFolder({
    'train.bin': Buffer.alloc(8),
    'val.bin': Buffer.alloc(8),
    'meta.json': '{"vocab_size": 4, "dtype": "int8"}',
  });
  assertFileError(
    () => locateData(badMeta, { context: 1 }),
    path.join(badMeta, 'meta.json'),
    /dtype must be "uint16" or "uint32"/,
  );
  const floats = tokenFolder({
    'train.npy': npyBytes('<f4', [1, 2, 3]),
    'val.npy': npyBytes('<f4', [1, 2]),
    'meta.json': '{"vocab_size": 4}',
  });
  assertFileError(
    () => locateData(floats, { context: 1 }),
    path.join(floats, 'train.npy'),
    /token ids must be integers/,
  );
  const missingVal = tokenFolder({
    'train.npy': npyBytes('<u2', [1, 2]),
    'x.npy': npyBytes('<u2', [1]),
  });
  assertFileError(
    () => locateData(`tokens:${missingVal}`, { context: 1 }),
    path.join(missingVal, 'val.npy'),
    /file not found/,
  );
  assertFileError(
    () => locateData(`tokens:${missingVal}/absent`, { context: 1 }),
    `${missingVal}/absent`,
    /no such folder of token ids/,
  );
});

test('the context: required for token data, a positive integer, no longer than the model takes', () => {
  const file = writeText('abc.txt', TEXT);
  const inputError = (fn: () => unknown, message: RegExp) =>
    assert.throws(
      fn,
      (error: unknown) => error instanceof GradscopeInputError && message.test(error.message),
    );
  // no context: the network states none (an image network); the message names --network
  inputError(
    () => locateData(file),
    /^--network: token data is cut into windows of a language model's context, and this network states none .*: use --network GPT/,
  );
  inputError(
    () => locateData(file, { context: 0 }),
    /^Expected a positive integer \(tokens per window\) for context but received 0$/,
  );
  inputError(() => locateData(file, { context: 2.5 }), /received 2.5$/);
  inputError(
    () => locateData(file, { context: 4, modelContext: 3 }),
    /^Expected a context of at most 3 \(the model's context\) for context but received 4$/,
  );
  assert.equal(tokens(file, { context: 3, modelContext: 3 }).train.context, 3);
  inputError(
    () => loadData(file, { context: 4, standardise: true }),
    /standardise scales image channels; --data .* is token data/,
  );
});
