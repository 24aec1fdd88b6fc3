/**
 * The IDX reader against files written byte by byte from the format: values read back
 * exactly (plain and gzipped), and every bad file rejected with one line naming it.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import * as zlib from 'zlib';
import { readIdx, readIdxPair } from '../../src/data/idx';
import {
  assertFileError,
  bytePattern,
  idxBytes,
  tempDir,
  writeFile,
} from '../fixtures/data-fixtures';

const dir = tempDir();
const pixels = bytePattern(3 * 2 * 4, 11);
const labels = Uint8Array.of(9, 0, 4);

for (const gzip of [false, true]) {
  test(`reads images and labels back exactly (${gzip ? 'gzipped' : 'plain'})`, () => {
    const images = writeFile(path.join(dir, `img-${gzip}`), idxBytes([3, 2, 4], pixels), gzip);
    const labelFile = writeFile(path.join(dir, `lab-${gzip}`), idxBytes([3], labels), gzip);
    const set = readIdxPair(images, labelFile, 10);
    assert.equal(set.count, 3);
    assert.deepEqual(set.shape, [1, 2, 4]);
    assert.deepEqual(set.pixels, pixels);
    assert.deepEqual(set.labels, Int32Array.of(9, 0, 4));
  });
}

test('readIdx returns the dims and the data after the header', () => {
  const file = writeFile(path.join(dir, 'dims'), idxBytes([3, 2, 4], pixels));
  const idx = readIdx(file, 3);
  assert.deepEqual(idx.dims, [3, 2, 4]);
  assert.deepEqual(idx.data, pixels);
});

test('a missing file is named', () => {
  const file = path.join(dir, 'nowhere-idx3-ubyte');
  assertFileError(() => readIdx(file, 3), file, /file not found/);
});

test('a truncated file is named with the sizes', () => {
  const file = writeFile(path.join(dir, 'short'), idxBytes([3, 2, 4], pixels.subarray(0, 23)));
  assertFileError(() => readIdx(file, 3), file, /truncated: header gives 3x2x4 = 24 .* holds 23/);
  const header = writeFile(
    path.join(dir, 'header-only'),
    idxBytes([3, 2, 4], pixels).subarray(0, 9),
  );
  assertFileError(() => readIdx(header, 3), header, /truncated/);
  const tiny = writeFile(path.join(dir, 'tiny'), Uint8Array.of(0, 0));
  assertFileError(() => readIdx(tiny, 3), tiny, /truncated/);
});

test('a file longer than its header says is named', () => {
  const extra = Buffer.concat([idxBytes([3], labels), Buffer.of(1)]);
  const file = writeFile(path.join(dir, 'long'), extra);
  assertFileError(() => readIdx(file, 1), file, /longer than its header says/);
});

test('a wrong magic number is named', () => {
  const file = writeFile(path.join(dir, 'magic'), idxBytes([3], labels, 0x12345678));
  assertFileError(() => readIdx(file, 1), file, /not an IDX file \(magic number 0x12345678\)/);
  const cifar = writeFile(path.join(dir, 'not-idx'), bytePattern(40, 5));
  assertFileError(() => readIdx(cifar, 1), cifar, /not an IDX file/);
});

test('a non-byte element type is named', () => {
  const floats = idxBytes([1], Buffer.alloc(4), 0x00000d01);
  const file = writeFile(path.join(dir, 'float'), floats);
  assertFileError(() => readIdx(file, 1), file, /float32 values .*expected unsigned bytes/);
});

test('images and labels swapped are caught by the dimension count', () => {
  const images = writeFile(path.join(dir, 'i3'), idxBytes([3, 2, 4], pixels));
  const labelFile = writeFile(path.join(dir, 'l1'), idxBytes([3], labels));
  assertFileError(() => readIdxPair(labelFile, images, 10), labelFile, /has 1 dimensions/);
});

test('image and label counts must agree; both files are named', () => {
  const images = writeFile(path.join(dir, 'count-images'), idxBytes([3, 2, 4], pixels));
  const labelFile = writeFile(path.join(dir, 'count-labels'), idxBytes([2], labels.subarray(0, 2)));
  assertFileError(
    () => readIdxPair(images, labelFile, 10),
    images,
    new RegExp(`holds 3 images but .*count-labels holds 2 labels`),
  );
});

test('a label out of range is named with its index', () => {
  const images = writeFile(path.join(dir, 'range-images'), idxBytes([3, 2, 4], pixels));
  const labelFile = writeFile(
    path.join(dir, 'range-labels'),
    idxBytes([3], Uint8Array.of(1, 10, 12)),
  );
  assertFileError(
    () => readIdxPair(images, labelFile, 10),
    labelFile,
    /label 10 at index 1 is out of range/,
  );
});

test('a corrupt gzip file is named', () => {
  const gz = zlib.gzipSync(idxBytes([3], labels));
  const file = path.join(dir, 'corrupt.gz');
  fs.writeFileSync(file, gz.subarray(0, gz.length - 6));
  assertFileError(() => readIdx(file, 1), file, /not a valid gzip file/);
});

test('a folder given as a file is named', () => {
  assertFileError(() => readIdx(dir, 1), dir, /is a folder/);
});
