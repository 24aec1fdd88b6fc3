/**
 * Your own data: NumPy .npz archives (np.savez and np.savez_compressed, uint8 NHWC and float32
 * NCHW) and folders of .npy files read to the same pixels and labels numpy holds; an image
 * folder decoded once with sharp into a cache; bad inputs (an npz without y_test, labels out of
 * range, an image folder with one class) one line, exit 2, nothing written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { loadData } from '../../src/data/load';
import { GradscopeFileError } from '../../src/core/errors';
import { writeSafetensors } from '../../src/engine/safetensors';
import { readTorchSaveFile } from '../../src/engine/torch-pickle';
import { Network } from '../../src/engine/network';
import { f1 } from '../../src/models/f1';
import { stateDict } from '../../src/engine/state-dict';
import { gradscope } from '../fixtures/cli-fixtures';
import { locateImages, tempDir } from '../fixtures/data-fixtures';
import { pythonHas } from '../fixtures/python-has';

const python = '/usr/bin/python3';
const numpyMissing = !pythonHas(python, 'numpy')
  ? `numpy is not importable from ${python}`
  : undefined;
const dir = tempDir('gradscope-arrays-');
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs numpy code with `out` (a path) defined; returns what it prints as JSON. */
function numpy(code: string, out: string): unknown {
  const run = spawnSync(
    python,
    ['-c', `import json, sys, numpy as np\nout = sys.argv[1]\n${code}`, out],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim() ? JSON.parse(run.stdout) : undefined;
}

const MAKE = `
rng = np.random.default_rng(1)
x_train = rng.integers(0, 256, (6, 5, 4, 3), dtype=np.uint8)   # NHWC
y_train = np.array([0, 1, 2, 3, 1, 0], dtype=np.int64)
x_test = rng.integers(0, 256, (2, 5, 4, 3), dtype=np.uint8)
y_test = np.array([3, 2], dtype=np.uint8)
`;

test('an .npz (compressed or not) and a folder of .npy files read as numpy holds them', (t) => {
  if (numpyMissing) return t.skip(numpyMissing);
  for (const save of ['np.savez', 'np.savez_compressed']) {
    const file = path.join(dir, `${save}.npz`);
    const expected = numpy(
      `${MAKE}
${save}(out, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
print(json.dumps({"train": x_train.transpose(0, 3, 1, 2).flatten().tolist(), "test": x_test.transpose(0, 3, 1, 2).flatten().tolist()}))`,
      file,
    ) as { train: number[]; test: number[] };
    const { source, description } = locateImages(file);
    assert.deepEqual(source.train.shape, [3, 5, 4]);
    assert.deepEqual(Array.from(source.train.pixels), expected.train);
    assert.deepEqual(Array.from(source.test.pixels), expected.test);
    assert.deepEqual(Array.from(source.train.labels), [0, 1, 2, 3, 1, 0]);
    assert.deepEqual(Array.from(source.test.labels), [3, 2]);
    assert.equal(source.classes, 4);
    assert.match(description, /6 train, 2 test, 3x5x4 uint8 read as NHWC, 4 classes/);
  }
  const folder = path.join(dir, 'npy');
  fs.mkdirSync(folder);
  numpy(
    `rng = np.random.default_rng(2)
np.save(out + "/x_train.npy", rng.random((4, 1, 3, 3), dtype=np.float32))
np.save(out + "/y_train.npy", np.array([0, 1, 0, 1], dtype=np.int32))
np.save(out + "/x_test.npy", rng.random((2, 1, 3, 3), dtype=np.float32))
np.save(out + "/y_test.npy", np.array([1, 0]))`,
    folder,
  );
  const { source } = locateImages(folder);
  assert.ok(source.train.pixels instanceof Float32Array);
  assert.deepEqual(source.train.shape, [1, 3, 3]);
  const x = numpy(
    `print(json.dumps(np.load(out + "/x_train.npy").astype(np.float64).flatten().tolist()))`,
    folder,
  ) as number[];
  assert.deepEqual(Array.from(source.train.pixels), x);
  // float32 arrays are held as they are (not scaled by 1/255)
  const held = loadData(folder).train.channelStatistics().mean[0]!;
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  assert.ok(Math.abs(held - mean) < 1e-6, `${held} vs ${mean}`);
});

test('bad data: an npz without y_test, labels out of range, an image folder of one class', (t) => {
  if (numpyMissing) return t.skip(numpyMissing);
  const weights = path.join(dir, 'f1.safetensors');
  writeSafetensors(weights, stateDict(new Network(f1())));
  const analyse = (data: string) => {
    const out = path.join(dir, 'not-written');
    const run = gradscope(
      ...['analyze', 'gradients', '--checkpoint', weights, '--network', 'F1', '--data', data],
      ...['--batch-sizes', '2', '--samples', '1', '--out', out],
    );
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stderr.split('\n').length, 2, run.stderr); // one line
    assert.ok(!fs.existsSync(out));
    return run.stderr;
  };
  const mnistLike = `
x = np.zeros((4, 28, 28), dtype=np.uint8)
y = np.array([0, 1, 2, 3])`;
  const noTest = path.join(dir, 'no-y-test.npz');
  numpy(`${mnistLike}\nnp.savez(out, x_train=x, y_train=y, x_test=x)`, noTest);
  assert.match(
    analyse(noTest),
    /no-y-test\.npz: has no array y_test \(expected x_train, y_train, x_test, y_test; it holds x_train, y_train, x_test\)/,
  );

  const eleven = path.join(dir, 'eleven-classes.npz');
  numpy(
    `${mnistLike}\nnp.savez(out, x_train=x, y_train=y, x_test=x, y_test=np.array([0, 1, 2, 10]))`,
    eleven,
  );
  assert.match(analyse(eleven), /network F1 has 10 outputs but dataset .* has 11 classes/);

  const negative = path.join(dir, 'negative.npz');
  numpy(
    `${mnistLike}\nnp.savez(out, x_train=x, y_train=np.array([0, 1, -1, 3]), x_test=x, y_test=y)`,
    negative,
  );
  assert.match(
    analyse(negative),
    /negative\.npz:y_train: label -1 at index 2 is out of range \(expected 0\.\.3\)/,
  );

  const oneClass = path.join(dir, 'images');
  fs.mkdirSync(path.join(oneClass, 'train', 'cat'), { recursive: true });
  fs.mkdirSync(path.join(oneClass, 'test', 'cat'), { recursive: true });
  assert.match(
    analyse(oneClass),
    /train: holds one class folder \(cat\); an image folder needs train\/CLASS\/ for at least 2 classes/,
  );
});

test('an image folder is decoded once with sharp into a cache next to it', async (t) => {
  let sharp: (input?: unknown) => { png(): { toFile(f: string): Promise<unknown> } };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sharp = require('sharp');
  } catch {
    return t.skip('the npm package sharp is not installed');
  }
  const root = path.join(dir, 'folder');
  const pixel = (r: number, g: number, b: number, w: number, h: number) =>
    sharp({ create: { width: w, height: h, channels: 3, background: { r, g, b } } });
  for (const [split, cls, n] of [
    ['train', 'ant', 3],
    ['train', 'bee', 2],
    ['test', 'bee', 1],
  ] as const) {
    fs.mkdirSync(path.join(root, split, cls), { recursive: true });
    for (let i = 0; i < n; i++)
      await pixel(cls === 'ant' ? 200 : 10, 20 * i, 255, 6, 4)
        .png()
        .toFile(path.join(root, split, cls, `${i}.png`));
  }
  const first = locateImages(root);
  assert.deepEqual(first.source.train.shape, [3, 4, 6]);
  assert.deepEqual(Array.from(first.source.train.labels), [0, 0, 0, 1, 1]);
  assert.deepEqual(Array.from(first.source.test.labels), [1]);
  // channel-planar: 24 red values (200 for ants), then green (0, 20, 40, ...), then blue
  assert.deepEqual(Array.from(first.source.train.pixels.subarray(0, 24)), Array(24).fill(200));
  assert.deepEqual(
    Array.from(first.source.train.pixels.subarray(72 + 24, 72 + 48)),
    Array(24).fill(20),
  );
  const cache = path.join(root, '.gradscope-images-native.safetensors');
  assert.ok(fs.existsSync(cache));
  const again = locateImages(root);
  assert.match(again.description, /decoded before/);
  assert.deepEqual(again.source.train.pixels, first.source.train.pixels);
  const resized = locateImages(root, { imageSize: 3 });
  assert.deepEqual(resized.source.train.shape, [3, 3, 3]);
});

test('damaged archives: every truncation of an .npz and a torch.save file is one file error', (t) => {
  if (numpyMissing) return t.skip(numpyMissing);
  const npz = path.join(dir, 'whole.npz');
  numpy(
    `${MAKE}\nnp.savez_compressed(out, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)`,
    npz,
  );
  const pt = path.join(dir, 'whole.pt');
  const saved = spawnSync(
    python,
    [
      '-c',
      `import torch; torch.save({"a.weight": torch.ones(2, 3), "n": torch.tensor(4)}, ${JSON.stringify(pt)})`,
    ],
    { encoding: 'utf8' },
  );
  if (saved.status !== 0) return t.skip('PyTorch is not importable');
  assert.deepEqual(readTorchSaveFile(pt).get('a.weight')!.shape, [2, 3]);
  for (const [file, read] of [
    [npz, (f: string) => locateImages(f)],
    [pt, (f: string) => readTorchSaveFile(f)],
  ] as const) {
    const bytes = fs.readFileSync(file);
    const cut = path.join(dir, `cut${path.extname(file)}`);
    for (
      let length = 0;
      length < bytes.length;
      length += Math.max(1, Math.floor(bytes.length / 40))
    ) {
      fs.writeFileSync(cut, bytes.subarray(0, length));
      assert.throws(
        () => read(cut),
        (error: Error) => error instanceof GradscopeFileError && !error.message.includes('\n'),
        `${file} cut at ${length}`,
      );
    }
    // and flipped bytes: an error or the right arrays, never a crash or a hang
    for (let i = 0; i < bytes.length; i += Math.max(1, Math.floor(bytes.length / 40))) {
      const flipped = Buffer.from(bytes);
      flipped[i] = flipped[i]! ^ 0xff;
      fs.writeFileSync(cut, flipped);
      try {
        read(cut);
      } catch (error) {
        assert.ok(error instanceof GradscopeFileError, `${file} flipped at ${i}: ${String(error)}`);
      }
    }
  }
});
