/**
 * Your own data as NumPy arrays: `--data FILE.npz` (np.savez or np.savez_compressed) or a
 * folder of .npy files, with arrays x_train, y_train, x_test, y_test. Images are uint8
 * (scaled by 1/255 as the other readers) or float32 (taken as they are), N x H x W (one
 * channel), N x C x H x W or N x H x W x C: the layout is told from where a dimension of 1 or 3
 * channels lies (NCHW where both could be) and said once in the description. Labels are
 * integers in [0, classes), classes = the largest label + 1.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GradscopeFileError } from '../core/errors';
import { readAt, withRegularFile } from '../core/regular-file';
import { checkUnpackedSize } from '../core/size-caps';
import { parseNpy, type NpyArray } from './npy';
import { checkLabels, type ExampleSet, type ImageSource } from './source';
import { checkEntriesFit, zipEntries, zipEntryBytes, type ZipEntry } from '../engine/zip';

export const ARRAY_NAMES = ['x_train', 'y_train', 'x_test', 'y_test'] as const;
type ArrayName = (typeof ARRAY_NAMES)[number];

export function hasNpyArrays(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'x_train.npy'));
}

/** The four arrays of an .npz archive. */
export function readNpz(file: string): { source: ImageSource; description: string } {
  const arrays = withRegularFile(file, (opened) => {
    const entries = zipEntries(opened);
    const wanted = {} as Record<ArrayName, ZipEntry>;
    for (const name of ARRAY_NAMES) {
      const entry = entries.get(`${name}.npy`);
      if (!entry)
        throw new GradscopeFileError(
          file,
          `has no array ${name} (expected ${ARRAY_NAMES.join(', ')}; it holds ${[...entries.keys()].map((n) => n.replace(/\.npy$/, '')).join(', ') || 'nothing'})`,
        );
      wanted[name] = entry;
    }
    // all four checked together before the first is inflated
    checkEntriesFit(opened, Object.values(wanted), 'the arrays');
    const out = {} as Record<ArrayName, NpyArray>;
    for (const name of ARRAY_NAMES)
      out[name] = parseNpy(zipEntryBytes(opened, wanted[name]), file, name);
    return out;
  });
  return sourceOf(arrays, file, (name) => `${file}:${name}`, `NumPy arrays in ${file}`);
}

/** The four arrays as DIR/x_train.npy ... */
export function readNpyFolder(dir: string): { source: ImageSource; description: string } {
  const arrays = {} as Record<ArrayName, NpyArray>;
  for (const name of ARRAY_NAMES) {
    const file = path.join(dir, `${name}.npy`);
    if (!fs.existsSync(file))
      throw new GradscopeFileError(
        file,
        `file not found (a folder of .npy arrays holds ${ARRAY_NAMES.map((n) => `${n}.npy`).join(', ')})`,
      );
    arrays[name] = withRegularFile(file, (opened) => {
      checkUnpackedSize(file, 'the array', opened.size);
      return parseNpy(readAt(opened, 0, opened.size), file, name);
    });
  }
  return sourceOf(
    arrays,
    dir,
    (name) => path.join(dir, `${name}.npy`),
    `NumPy .npy arrays in ${dir}`,
  );
}

function sourceOf(
  arrays: Record<ArrayName, NpyArray>,
  where: string,
  fileOf: (name: ArrayName) => string,
  what: string,
): { source: ImageSource; description: string } {
  const fail = (name: ArrayName, problem: string) => new GradscopeFileError(fileOf(name), problem);
  const labels = (name: 'y_train' | 'y_test', count: number): Int32Array => {
    const a = arrays[name];
    if (a.dtype === 'float32') throw fail(name, 'labels must be integers, not floats');
    if (a.shape.length !== 1 || a.shape[0] !== count)
      throw fail(
        name,
        `has shape (${a.shape.join(', ')}) but ${count} labels are needed, one per image`,
      );
    return a.dtype === 'uint8' ? Int32Array.from(a.data) : (a.data as Int32Array);
  };
  const layout = layoutOf(arrays.x_train.shape, fileOf('x_train'));
  const train = images(arrays.x_train, layout, fileOf('x_train'));
  const test = images(arrays.x_test, layout, fileOf('x_test'));
  if (train.shape.join() !== test.shape.join())
    throw fail(
      'x_test',
      `holds images of ${test.shape.join('x')} but x_train ${train.shape.join('x')}`,
    );
  if (arrays.x_train.dtype !== arrays.x_test.dtype)
    throw fail('x_test', `is ${arrays.x_test.dtype} but x_train ${arrays.x_train.dtype}`);
  const yTrain = labels('y_train', train.count);
  const yTest = labels('y_test', test.count);
  let largest = 0;
  for (const y of [yTrain, yTest])
    for (let i = 0; i < y.length; i++) largest = Math.max(largest, y[i]!);
  const classes = Math.max(2, largest + 1);
  checkLabels(yTrain, classes, fileOf('y_train'));
  checkLabels(yTest, classes, fileOf('y_test'));
  const source: ImageSource = {
    name: 'arrays',
    classes,
    train: { ...train, labels: yTrain },
    test: { ...test, labels: yTest },
    files: [where],
  };
  const [c, h, w] = train.shape;
  return {
    source,
    description: `found ${what} (${train.count} train, ${test.count} test, ${c}x${h}x${w} ${arrays.x_train.dtype} read as ${layout}, ${classes} classes)`,
  };
}

type Layout = 'NCHW' | 'NHWC' | 'NHW';

function layoutOf(shape: number[], file: string): Layout {
  if (shape.length === 3) return 'NHW';
  if (shape.length !== 4)
    throw new GradscopeFileError(
      file,
      `x_train has shape (${shape.join(', ')}); expected N x H x W, N x C x H x W or N x H x W x C`,
    );
  const channels = (d: number) => d === 1 || d === 3;
  return channels(shape[3]!) && !channels(shape[1]!) ? 'NHWC' : 'NCHW';
}

function images(a: NpyArray, layout: Layout, file: string): Omit<ExampleSet, 'labels'> {
  if (a.dtype === 'int') throw new GradscopeFileError(file, 'images must be uint8 or float32');
  const expectedRank = layout === 'NHW' ? 3 : 4;
  if (a.shape.length !== expectedRank)
    throw new GradscopeFileError(
      file,
      `has shape (${a.shape.join(', ')}) but x_train is ${layout}`,
    );
  const [n, d1, d2, d3 = 1] = a.shape as [number, number, number, number?];
  if (n === 0) throw new GradscopeFileError(file, 'holds no images');
  const shape: [number, number, number] =
    layout === 'NHWC' ? [d3, d1, d2] : layout === 'NCHW' ? [d1, d2, d3] : [1, d1, d2];
  if (shape.some((d) => d === 0)) throw new GradscopeFileError(file, 'holds empty images');
  let pixels = a.data as Uint8Array | Float32Array;
  if (layout === 'NHWC') {
    const [c, h, w] = shape;
    const planar =
      a.dtype === 'uint8' ? new Uint8Array(pixels.length) : new Float32Array(pixels.length);
    for (let i = 0; i < n; i++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let k = 0; k < c; k++)
            planar[((i * c + k) * h + y) * w + x] = pixels[((i * h + y) * w + x) * c + k]!;
    pixels = planar;
  }
  return { pixels, count: n, shape };
}
