/**
 * The CIFAR binary reader against records written byte by byte: pixels and labels read
 * back exactly across several files, and every bad file rejected with one line naming it.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { readCifarFiles } from '../../src/data/cifar';
import {
  assertFileError,
  cifarBytes,
  cifarRecords,
  tempDir,
  writeCifar100Folder,
  writeCifar10Folder,
} from '../fixtures/data-fixtures';

const dir = tempDir();

test('CIFAR-10: records of several files concatenate in order', () => {
  const written = writeCifar10Folder(dir);
  const files = [1, 2, 3, 4, 5].map((i) => path.join(dir, `data_batch_${i}.bin`));
  const set = readCifarFiles(files, 'cifar10');
  assert.equal(set.count, 15);
  assert.deepEqual(set.shape, [3, 32, 32]);
  assert.deepEqual(set.labels, Int32Array.from(written.train.flatMap((r) => [...r.fine])));
  const pixels = new Uint8Array(15 * 3072);
  let at = 0;
  for (const r of written.train) {
    pixels.set(r.pixels, at);
    at += r.pixels.length;
  }
  assert.deepEqual(set.pixels, pixels);
});

test('CIFAR-10: channel planes stay planar (R, G, B of record 1)', () => {
  const records = cifarRecords(2, 4);
  records.pixels.fill(0);
  records.pixels.fill(1, 3072, 3072 + 1024);
  records.pixels.fill(2, 3072 + 1024, 3072 + 2048);
  records.pixels.fill(3, 3072 + 2048, 2 * 3072);
  const file = path.join(dir, 'planes.bin');
  fs.writeFileSync(file, cifarBytes(records, false));
  const set = readCifarFiles([file], 'cifar10');
  assert.equal(set.pixels[3072 + 5], 1);
  assert.equal(set.pixels[3072 + 1024 + 5], 2);
  assert.equal(set.pixels[3072 + 2048 + 5], 3);
  assert.deepEqual(set.labels, Int32Array.from(records.fine));
});

test('CIFAR-100: fine labels by default, coarse when asked', () => {
  const sub = tempDir();
  const written = writeCifar100Folder(sub);
  const file = path.join(sub, 'train.bin');
  const fine = readCifarFiles([file], 'cifar100');
  assert.deepEqual(fine.labels, Int32Array.from(written.train.fine));
  assert.deepEqual(fine.pixels, written.train.pixels);
  const coarse = readCifarFiles([file], 'cifar100', 'coarse');
  assert.deepEqual(coarse.labels, Int32Array.from(written.train.coarse));
  assert.deepEqual(coarse.pixels, written.train.pixels);
});

test('a file that is not whole records is named', () => {
  const file = path.join(dir, 'short.bin');
  fs.writeFileSync(file, cifarBytes(cifarRecords(2, 1), false).subarray(0, 3073 + 100));
  assertFileError(() => readCifarFiles([file], 'cifar10'), file, /3173 bytes, .*3073-byte/);
  // A CIFAR-10 file read as CIFAR-100 (or the reverse) fails the same way.
  const ten = path.join(dir, 'ten.bin');
  fs.writeFileSync(ten, cifarBytes(cifarRecords(3, 1), false));
  assertFileError(() => readCifarFiles([ten], 'cifar100'), ten, /3074-byte CIFAR-100 record/);
});

test('an empty file is named', () => {
  const file = path.join(dir, 'empty.bin');
  fs.writeFileSync(file, new Uint8Array(0));
  assertFileError(() => readCifarFiles([file], 'cifar10'), file, /holds 0 bytes/);
});

test('a label out of range is named with its index', () => {
  const records = cifarRecords(3, 1);
  records.fine[2] = 10;
  const file = path.join(dir, 'label.bin');
  fs.writeFileSync(file, cifarBytes(records, false));
  assertFileError(() => readCifarFiles([file], 'cifar10'), file, /label 10 at index 2 .*0\.\.9/);
});

test('CIFAR-100: fine and coarse labels are both range-checked', () => {
  const fineBad = cifarRecords(3, 1, 100);
  fineBad.fine[1] = 100;
  const fineFile = path.join(dir, 'fine.bin');
  fs.writeFileSync(fineFile, cifarBytes(fineBad, true));
  assertFileError(() => readCifarFiles([fineFile], 'cifar100'), fineFile, /label 100 at index 1/);
  const coarseBad = cifarRecords(3, 1, 100);
  coarseBad.coarse[0] = 20;
  const coarseFile = path.join(dir, 'coarse.bin');
  fs.writeFileSync(coarseFile, cifarBytes(coarseBad, true));
  assertFileError(
    () => readCifarFiles([coarseFile], 'cifar100', 'coarse'),
    coarseFile,
    /label 20 at index 0 .*0\.\.19/,
  );
});

test('a missing file is named', () => {
  const file = path.join(dir, 'data_batch_9.bin');
  assertFileError(() => readCifarFiles([file], 'cifar10'), file, /file not found/);
});
