/**
 * Shared by the tests: small seeded random datasets and networks, and
 * independent reference computations (nothing here calls the code under test's
 * numerics except to build inputs).
 */
import type { StudyData } from '../src/data/load';
import { Dataset, type DatasetSource } from '../src/engine/dataset';
import type { NetworkSpec } from '../src/engine/layers';
import type { FloatArray } from '../src/engine/native';

/** mulberry32: a tiny seeded PRNG for test inputs. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomDataset(
  n: number,
  shape: [number, number, number],
  classes: number,
  seed = 1,
): Dataset {
  return new Dataset('random', classes, randomSource(n, shape, classes, seed));
}

/** Random training and test sets as the analyses take them (seeds `seed` and `seed + 1`). */
export function randomStudyData(
  trainCount: number,
  testCount: number,
  shape: [number, number, number],
  classes: number,
  seed: number,
): StudyData {
  return {
    name: 'idx',
    classes,
    train: randomDataset(trainCount, shape, classes, seed),
    test: randomDataset(testCount, shape, classes, seed + 1),
    description: 'random',
    files: [],
  };
}

export function randomSource(
  n: number,
  shape: [number, number, number],
  classes: number,
  seed = 1,
): DatasetSource & { pixels: Uint8Array } {
  const r = random(seed);
  const pixels = new Uint8Array(n * shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(r() * 256);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = Math.floor(r() * classes);
  return { pixels, labels, shape };
}

export function range(n: number, start = 0): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = start + i;
  return out;
}

/** |a - b| / |b|, in float64. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

export function copyOf(a: FloatArray): Float64Array {
  return Float64Array.from(a);
}

/** A small network using every layer type: conv (with/without bias, stride, padding),
 * both batch norms, ReLU, max pool, dropout, flatten and linear. */
export function everyLayer(): NetworkSpec {
  return {
    name: 'every-layer',
    input: [2, 6, 6],
    classes: 3,
    layers: [
      { type: 'conv2d', out: 3, kernel: 3, padding: 'same', bias: true },
      { type: 'batchnorm2d' },
      { type: 'relu' },
      { type: 'maxpool2d', kernel: 2, stride: 2 },
      { type: 'conv2d', out: 4, kernel: 2, stride: 1, padding: 1, bias: false },
      { type: 'dropout', p: 0.3 },
      { type: 'flatten' },
      { type: 'linear', out: 5, bias: false },
      { type: 'batchnorm1d' },
      { type: 'relu' },
      { type: 'linear', out: 3 },
    ],
  };
}

/** Puts non-trivial values in the batch-norm running statistics (var > 0). */
export function scrambleStatistics(
  stats: FloatArray,
  table: { meanOffset: number; varOffset: number; features: number }[],
  seed = 7,
): void {
  const r = random(seed);
  for (const s of table)
    for (let i = 0; i < s.features; i++) {
      stats[s.meanOffset + i] = r() - 0.5;
      stats[s.varOffset + i] = 0.5 + r();
    }
}

/**
 * Chi-square statistics of `draws` batches of B from n indices, from how often each index was
 * in a batch (`included`) and first in it (`first`); each has n - 1 degrees of freedom under
 * uniform sampling without replacement.
 */
export function uniformityChiSquares(
  included: Float64Array,
  first: Float64Array,
  draws: number,
  batchSize: number,
): { chi2: number; chi2First: number } {
  const n = included.length;
  // Inclusion counts of a B-subset are not multinomial: each has variance D p (1 - p) with
  // p = B/n and a negative correlation, so sum (O - E)^2 / (D p (1 - p) n/(n - 1)) is
  // chi-square with n - 1 degrees of freedom.
  const p = batchSize / n;
  const scale = draws * p * (1 - p) * (n / (n - 1));
  const chi2 = included.reduce((s, c) => s + (c - draws * p) ** 2 / scale, 0);
  // The first element of each batch is one uniform draw: a plain multinomial.
  const e = draws / n;
  const chi2First = first.reduce((s, c) => s + (c - e) ** 2 / e, 0);
  return { chi2, chi2First };
}
