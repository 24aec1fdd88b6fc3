/**
 * The seeded sampler: xoshiro128** against the reference C outputs, reproducibility from
 * arguments alone, and uniformity by chi-square tests with fixed seeds (threshold 85.35,
 * the p = 0.001 point of chi-square with 49 degrees of freedom).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { GradscopeInputError } from '../../src/core/errors';
import { rngFor, Xoshiro128 } from '../../src/data/random';
import { EpochBatches, epochPermutation, uniformBatch } from '../../src/data/sampler';
import { uniformityChiSquares } from '../fixtures/helpers';

const CHI2_49_P001 = 85.35;

test('xoshiro128** matches the reference implementation', () => {
  // From Blackman and Vigna's xoshiro128starstar.c compiled with gcc, state {1, 2, 3, 4}.
  const rng = new Xoshiro128([1, 2, 3, 4]);
  const first = Array.from({ length: 8 }, () => rng.nextUint32());
  assert.deepEqual(
    first,
    [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849],
  );
  const other = new Xoshiro128([0x9e3779b9, 0xdeadbeef, 0x01234567, 0x89abcdef]);
  for (let i = 0; i < 1000; i++) other.nextUint32();
  assert.deepEqual([other.nextUint32(), other.nextUint32()], [1113897527, 2754077487]);
});

test('streams are named by their keys: same key same stream, any change another', () => {
  const take = (rng: Xoshiro128) => Array.from({ length: 4 }, () => rng.nextUint32());
  const base = take(rngFor(7, 'gradients', 256, 3));
  assert.deepEqual(take(rngFor(7, 'gradients', 256, 3)), base);
  for (const other of [
    rngFor(8, 'gradients', 256, 3),
    rngFor(7, 'gradient', 256, 3),
    rngFor(7, 'gradients', 256, 4),
    rngFor(7, 'gradients', 257, 3),
    rngFor(7, 'gradients', 256, 3, 0),
    rngFor(7 + 2 ** 32, 'gradients', 256, 3),
  ]) {
    assert.notDeepEqual(take(other), base);
  }
});

test('draws are pinned: a change here changes every recorded experiment', () => {
  assert.deepEqual(Array.from(epochPermutation(42, 0, 10)), PINNED_PERMUTATION);
  assert.deepEqual(Array.from(uniformBatch(42, 'pin', 4, 0, 100)), PINNED_BATCH);
});
const PINNED_PERMUTATION = [6, 4, 5, 3, 0, 9, 7, 8, 2, 1];
const PINNED_BATCH = [68, 19, 5, 55];

test('epochPermutation is a permutation, reproducible, fresh each epoch', () => {
  const p = epochPermutation(1, 3, 1000);
  assert.deepEqual(
    Array.from(p).sort((a, b) => a - b),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.deepEqual(epochPermutation(1, 3, 1000), p);
  assert.notDeepEqual(epochPermutation(1, 4, 1000), p);
  assert.notDeepEqual(epochPermutation(2, 3, 1000), p);
  assert.deepEqual(epochPermutation(1, 0, 1), Int32Array.of(0));
});

test('epochPermutation puts every value at every position uniformly (chi-square)', () => {
  // n = 8: the 8x8 table of (position, value) counts has (8-1)^2 = 49 degrees of freedom.
  const n = 8;
  const epochs = 20000;
  const counts = new Float64Array(n * n);
  for (let e = 0; e < epochs; e++) {
    const p = epochPermutation(2024, e, n);
    for (let pos = 0; pos < n; pos++) counts[pos * n + p[pos]!]! += 1;
  }
  const expectedCount = epochs / n;
  const chi2 = counts.reduce((s, c) => s + (c - expectedCount) ** 2 / expectedCount, 0);
  console.log(`permutation positions: chi2 = ${chi2.toFixed(1)} (49 dof)`);
  assert.ok(chi2 < CHI2_49_P001, `chi2 ${chi2} >= ${CHI2_49_P001}`);
});

test('uniformBatch is reproducible from its arguments alone, whatever the call order', () => {
  const later = uniformBatch(5, 'gradients', 10, 7, 60000);
  for (let d = 0; d < 7; d++) uniformBatch(5, 'gradients', 10, d, 60000);
  assert.deepEqual(uniformBatch(5, 'gradients', 10, 7, 60000), later);
  assert.notDeepEqual(uniformBatch(5, 'gradients', 10, 8, 60000), later);
  assert.notDeepEqual(uniformBatch(5, 'sharpness', 10, 7, 60000), later);
});

test('uniformBatch has no repeats and stays in range, on both methods', () => {
  for (const [b, n] of [
    [5000, 60000],
    [1, 1],
    [50, 50],
    [49, 50],
    [12, 50],
    [13, 50],
  ] as const) {
    for (let draw = 0; draw < 5; draw++) {
      const batch = uniformBatch(9, 'check', b, draw, n);
      assert.equal(batch.length, b);
      assert.equal(new Set(batch).size, b, `repeat in B=${b}, n=${n}`);
      assert.ok(batch.every((i) => i >= 0 && i < n));
    }
  }
});

for (const batchSize of [10, 40]) {
  test(`uniformBatch includes every index uniformly (chi-square, B=${batchSize}, n=50)`, () => {
    const n = 50;
    const draws = 20000;
    const included = new Float64Array(n);
    const first = new Float64Array(n);
    for (let d = 0; d < draws; d++) {
      const batch = uniformBatch(77, 'uniformity', batchSize, d, n);
      for (const i of batch) included[i]! += 1;
      first[batch[0]!]! += 1;
    }
    const { chi2, chi2First } = uniformityChiSquares(included, first, draws, batchSize);
    console.log(
      `B=${batchSize}: inclusion chi2 = ${chi2.toFixed(1)}, first ${chi2First.toFixed(1)}`,
    );
    assert.ok(chi2 < CHI2_49_P001, `inclusion chi2 ${chi2} >= ${CHI2_49_P001}`);
    assert.ok(chi2First < CHI2_49_P001, `first-element chi2 ${chi2First} >= ${CHI2_49_P001}`);
  });
}

test('bad arguments are refused before any draw', () => {
  const refused = (fn: () => unknown, option: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof GradscopeInputError && option.test(e.message));
  refused(() => uniformBatch(1, 'x', 11, 0, 10), /batch size/);
  refused(() => uniformBatch(1, 'x', 0, 0, 10), /batch size/);
  refused(() => uniformBatch(-1, 'x', 1, 0, 10), /seed/);
  refused(() => uniformBatch(1.5, 'x', 1, 0, 10), /seed/);
  refused(() => uniformBatch(1, 'x', 1, -1, 10), /stream index/);
  refused(() => epochPermutation(1, 0, 0), /example count/);
  refused(() => new Xoshiro128([0, 0, 0, 0]), /state/);
});

test('EpochBatches walks each epoch permutation and resumes from its state', () => {
  const n = 10;
  const batches = new EpochBatches(n, { seed: 3, epoch: 0, position: 0 });
  const seen: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { epoch, indices } = batches.next(4);
    assert.equal(epoch, 0);
    seen.push(...indices);
    sizes.push(indices.length);
  }
  assert.deepEqual(sizes, [4, 4, 2]);
  assert.deepEqual(seen, Array.from(epochPermutation(3, 0, n)));
  assert.deepEqual(batches.state(), { seed: 3, epoch: 1, position: 0 });
  const a = batches.next(3);
  const saved = batches.state();
  assert.deepEqual(saved, { seed: 3, epoch: 1, position: 3 });
  assert.deepEqual(a.indices, epochPermutation(3, 1, n).slice(0, 3));
  const resumed = new EpochBatches(n, saved);
  assert.deepEqual(resumed.next(5), batches.next(5));
});
