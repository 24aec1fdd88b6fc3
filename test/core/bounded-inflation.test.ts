/**
 * Decompression bombs (issue 27, item 1), replayed small: the caps of src/core/size-caps.ts
 * lowered through their environment variables, each bomb built a little past its cap. Every
 * inflation is judged before it starts, by what the container declares (a zip entry's size,
 * an IDX header, an .npy shape, a PNG's width and height): one line naming the file (and the
 * entry) and the size it would take, exit 2, and nothing inflated. An entry that inflates to
 * another size than it declares is refused. The full-scale figures (1-3 MB files that once
 * took 2.3-11.7 GB) are in the issue's note; these run in seconds.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import * as zlib from 'zlib';
import { GradscopeFileError } from '../../src/core/errors';
import { withRegularFile } from '../../src/core/regular-file';
import { zipEntries, zipEntryBytes } from '../../src/engine/zip';
import { idxBytes, idxSplit, tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { assertFailsFastAndSmall } from '../fixtures/measured-child';
import { npyBytes, zipArchive } from '../fixtures/zip-fixtures';

const dir = tempDir('gradscope-bombs-');
const MB_CAP = { GRADSCOPE_MAX_INFLATE_BYTES: '1000000' };

/** A few MNIST-shaped examples: the checkpoint tests do not wait for the built-in MNIST. */
const tiny = tempDir('gradscope-bombs-data-');
writeIdxFolder(tiny, false, [20, 10]);
const analyze = (checkpoint: string) => [
  ...['analyze', 'gradients', '--checkpoint', checkpoint, '--network', 'F1'],
  ...['--data', tiny, '--batch-sizes', '10', '--samples', '1'],
];
const train = (data: string, out: string) => [
  ...['train', '--network', 'F1', '--data', data, '--epochs', '1', '--batch-size', '500'],
  ...['--quiet', '--out', out],
];

/** A .pt is read after `--network` is built (libtorch's start: 1.0-1.5 s of CPU time here
 * under load), so its refusal costs more than a safetensors checkpoint's. */
const PT_CPU_SECONDS = 3;

/** protocol 2: EMPTY_DICT, BINPUT 0, STOP: a pickled empty dict */
const EMPTY_DICT_PICKLE = Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]);

test('a .pt whose data.pkl would inflate past the pickle cap is refused before inflating', () => {
  const file = path.join(dir, 'pickle-bomb.pt');
  fs.writeFileSync(
    file,
    zipArchive([
      { name: 'archive/data.pkl', data: new Uint8Array(300_000) },
      { name: 'archive/version', data: Buffer.from('3\n') },
    ]),
  );
  assertFailsFastAndSmall(
    analyze(file),
    file,
    /pickle-bomb\.pt: entry archive\/data\.pkl would take 300000 bytes \(300\.0 kB\), more than the cap of 100000 \(GRADSCOPE_MAX_PICKLE_BYTES/,
    { GRADSCOPE_MAX_PICKLE_BYTES: '100000' },
    20,
    PT_CPU_SECONDS,
  );
});

test('a .pt whose storages add up past the cap is refused before the first is inflated', () => {
  // each storage below the cap, together above it: the sum is what memory would hold
  const file = path.join(dir, 'storage-bomb.pt');
  fs.writeFileSync(
    file,
    zipArchive([
      { name: 'archive/data.pkl', data: EMPTY_DICT_PICKLE },
      ...[0, 1, 2].map((k) => ({ name: `archive/data/${k}`, data: new Uint8Array(400_000) })),
    ]),
  );
  assertFailsFastAndSmall(
    analyze(file),
    file,
    /storage-bomb\.pt: the tensors' storages \(3 entries, the largest archive\/data\/0 of 400000 bytes\) would take 1200000 bytes \(1\.2 MB\), more than the cap of 1000000 \(GRADSCOPE_MAX_INFLATE_BYTES/,
    MB_CAP,
    20,
    PT_CPU_SECONDS,
  );
});

test('a zip entry that inflates to another size than it declares is refused', () => {
  const file = path.join(dir, 'liars.zip');
  fs.writeFileSync(
    file,
    zipArchive([
      { name: 'longer', data: new Uint8Array(400_000), declared: 1000 },
      { name: 'shorter', data: new Uint8Array(400_000), declared: 500_000 },
    ]),
  );
  withRegularFile(file, (opened) => {
    const entries = zipEntries(opened);
    assert.throws(
      () => zipEntryBytes(opened, entries.get('longer')!),
      (e: Error) =>
        e instanceof GradscopeFileError &&
        e.message === `${file}: entry longer: inflates to more than the 1000 bytes it declares`,
    );
    assert.throws(
      () => zipEntryBytes(opened, entries.get('shorter')!),
      (e: Error) =>
        e instanceof GradscopeFileError &&
        e.message ===
          `${file}: entry shorter: inflates to 400000 bytes, not the 500000 it declares`,
    );
  });
});

/** A valid .npz of MNIST-shaped uint8 arrays: `count` training images, 10 test images. */
function npz(count: number, labels: { descr: string; bytes: number } = { descr: '|u1', bytes: 1 }) {
  const train = idxSplit(count, 1);
  const test = idxSplit(10, 2);
  const wide = (l: Uint8Array) => {
    const out = new Uint8Array(l.length * labels.bytes);
    l.forEach((v, i) => (out[i * labels.bytes] = v));
    return out;
  };
  return zipArchive([
    { name: 'x_train.npy', data: npyBytes('|u1', [count, 28, 28], train.pixels) },
    { name: 'y_train.npy', data: npyBytes(labels.descr, [count], wide(train.labels)) },
    { name: 'x_test.npy', data: npyBytes('|u1', [10, 28, 28], test.pixels) },
    { name: 'y_test.npy', data: npyBytes(labels.descr, [10], wide(test.labels)) },
  ]);
}

test('an .npz whose arrays would take more than the cap is refused before inflating', () => {
  // 1500 images of 28 x 28: 1.18 MB, valid, and past a 1 MB cap (main read and trained on it)
  const file = path.join(dir, 'arrays.npz');
  fs.writeFileSync(file, npz(1500));
  assertFailsFastAndSmall(
    train(file, path.join(dir, 'npz-run')),
    file,
    /the arrays \(4 entries, the largest x_train\.npy of 1176128 bytes\) would take 1185\d{3} bytes \(1\.2 MB\), more than the cap of 1000000 \(GRADSCOPE_MAX_INFLATE_BYTES/,
    MB_CAP,
  );
  assert.ok(!fs.existsSync(path.join(dir, 'npz-run')), 'no run directory left');
});

test('an .npy label array that would grow past the cap as int32 is refused before it grows', () => {
  // 200 000 int8 labels: 200 kB in the file, 800 kB as int32 numbers, past a 500 kB cap
  const count = 200_000;
  const file = path.join(dir, 'labels.npz');
  const small = zipArchive([
    { name: 'x_train.npy', data: npyBytes('|u1', [10, 28, 28], idxSplit(10, 1).pixels) },
    { name: 'y_train.npy', data: npyBytes('|i1', [count], new Uint8Array(count)) },
    { name: 'x_test.npy', data: npyBytes('|u1', [10, 28, 28], idxSplit(10, 2).pixels) },
    { name: 'y_test.npy', data: npyBytes('|i1', [10], new Uint8Array(10)) },
  ]);
  fs.writeFileSync(file, small);
  assertFailsFastAndSmall(
    train(file, path.join(dir, 'labels-run')),
    file,
    /y_train: shape \(200000\) of \|i1 read as 4-byte numbers would take 800000 bytes \(800\.0 kB\), more than the cap of 500000/,
    { GRADSCOPE_MAX_INFLATE_BYTES: '500000' },
  );
});

test('a gzipped IDX whose header claims more than the cap is refused before inflating', () => {
  // the issue's bomb claimed 100000 x 1000 x 1000; here 100000 x 100 x 100 against 1 MB
  const data = tempDir('gradscope-bomb-claim-');
  writeIdxFolder(data, true, [20, 10]);
  const file = path.join(data, 'train-images-idx3-ubyte.gz');
  const zeros = zlib.gzipSync(Buffer.alloc(4 << 20), { level: 9 });
  fs.writeFileSync(
    file,
    Buffer.concat([zlib.gzipSync(idxBytes([100000, 100, 100], new Uint8Array(0))), zeros]),
  );
  assertFailsFastAndSmall(
    train(data, path.join(data, 'run')),
    file,
    /its header \(100000 x 100 x 100 bytes of data\) would take 1000000016 bytes \(1\.0 GB\), more than the cap of 1000000 \(GRADSCOPE_MAX_INFLATE_BYTES/,
    MB_CAP,
  );
});

test('a valid gzipped IDX past the cap is refused (main inflated and trained on it)', () => {
  const data = tempDir('gradscope-bomb-honest-');
  writeIdxFolder(data, true, [1500, 10]);
  const file = path.join(data, 'train-images-idx3-ubyte.gz');
  assertFailsFastAndSmall(
    train(data, path.join(data, 'run')),
    file,
    /its header \(1500 x 28 x 28 bytes of data\) would take 1176016 bytes \(1\.2 MB\), more than the cap of 1000000/,
    MB_CAP,
  );
});

test('an image past the pixel cap is refused from its header, before it is decoded', async (t) => {
  let sharp: (input?: unknown) => {
    toColourspace(c: string): { png(): { toFile(f: string): Promise<unknown> } };
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sharp = require('sharp');
  } catch {
    return t.skip('the npm package sharp is not installed');
  }
  const root = path.join(dir, 'images');
  const grey = (w: number, h: number) =>
    sharp({ create: { width: w, height: h, channels: 3, background: { r: 9, g: 9, b: 9 } } });
  for (const [split, cls, w, h] of [
    ['train', 'a', 2000, 1000],
    ['train', 'b', 30, 30],
    ['test', 'a', 30, 30],
  ] as const) {
    fs.mkdirSync(path.join(root, split, cls), { recursive: true });
    // one channel, as F1 takes: main decoded it whole and trained
    await grey(w, h)
      .toColourspace('b-w')
      .png()
      .toFile(path.join(root, split, cls, '0.png'));
  }
  const big = path.join(root, 'train', 'a', '0.png');
  const args = ['train', '--network', 'F1', '--data', root, '--image-size', '28', '--epochs', '1'];
  assertFailsFastAndSmall(
    [...args, '--out', path.join(dir, 'image-run')],
    big,
    /2000 x 1000 = 2000000 pixels \(2\.0 MB decoded\), more than the cap of 1000000 pixels \(GRADSCOPE_MAX_IMAGE_PIXELS/,
    { GRADSCOPE_MAX_IMAGE_PIXELS: '1000000' },
  );
  // nothing half-written into the data folder: no cache, no temporary
  assert.deepEqual(fs.readdirSync(root).sort(), ['test', 'train']);
});

test('a gzipped IDX whose header comes late is still found with every try bounded', () => {
  // 13 110 empty gzip members (262 200 bytes, just past a power of two, that inflate to
  // nothing), then the header, then 1 GB of zeros: the doubling prefix search took 512 kB of
  // compressed bytes to reach the header, and inflated the 250 MB of zeros behind it
  const data = tempDir('gradscope-bomb-late-');
  writeIdxFolder(data, true, [20, 10]);
  const file = path.join(data, 'train-images-idx3-ubyte.gz');
  const zeros = zlib.gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  fs.writeFileSync(
    file,
    Buffer.concat([
      ...Array<Buffer>(13_110).fill(zlib.gzipSync(Buffer.alloc(0))),
      zlib.gzipSync(idxBytes([20, 28, 28], new Uint8Array(0))),
      ...Array<Buffer>(1024).fill(zeros),
    ]),
  );
  // CPU: each try restarts zlib at each of the 13 110 members
  assertFailsFastAndSmall(
    train(data, path.join(data, 'run')),
    file,
    /longer than its header says: it inflates to more than 15697/,
    {},
    20,
    3,
  );
});

test('a cap set to no number is one line naming its variable', () => {
  const data = tempDir('gradscope-cap-setting-');
  writeIdxFolder(data, false, [20, 10]);
  assertFailsFastAndSmall(
    train(data, path.join(data, 'run')),
    'GRADSCOPE_MAX_INFLATE_BYTES',
    /Expected a positive integer for the environment variable GRADSCOPE_MAX_INFLATE_BYTES but received "1e9"/,
    { GRADSCOPE_MAX_INFLATE_BYTES: '1e9' },
  );
});
