// Box-plot statistics against hand-computed values. Quantiles follow numpy's default
// ('linear', Hyndman-Fan type 7): h = (n - 1) p on the sorted values, linear between.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { boxStats, quantile } from '../../src/report/box-stats';

test('quartiles of an even count interpolate as numpy.percentile does', () => {
  // numpy.percentile([7, 1, 3, 5], [25, 50, 75]) == [2.5, 4.0, 5.5]
  const s = boxStats([7, 1, 3, 5])!;
  assert.deepEqual([s.q1, s.median, s.q3], [2.5, 4, 5.5]);
  assert.deepEqual([s.whiskerLow, s.whiskerHigh, s.outliers], [1, 7, []]);
});

test('values beyond 1.5 IQR are outliers and the whiskers stop at the last value inside', () => {
  // sorted 1..10, 100; h(0.25) = 2.5 -> 3.5; h(0.5) = 5 -> 6; h(0.75) = 7.5 -> 8.5
  // IQR 5, fences -4 and 16: 100 is an outlier, the whiskers reach 1 and 10.
  const s = boxStats([100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])!;
  assert.deepEqual([s.q1, s.median, s.q3], [3.5, 6, 8.5]);
  assert.deepEqual([s.whiskerLow, s.whiskerHigh, s.outliers], [1, 10, [100]]);
  assert.equal(s.n, 11);
});

test('one value, and an empty list', () => {
  const s = boxStats([4])!;
  assert.deepEqual([s.q1, s.median, s.q3, s.whiskerLow, s.whiskerHigh], [4, 4, 4, 4, 4]);
  assert.equal(boxStats([]), undefined);
  assert.equal(quantile([0, 10], 0.3), 3);
  assert.equal(quantile([0, 10], 1), 10);
});
