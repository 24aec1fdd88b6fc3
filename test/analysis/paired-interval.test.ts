/**
 * The conclusions' interval arithmetic: Student t quantiles against published values,
 * a three-seed paired interval against a hand computation, and the verdict switching
 * exactly at the interval's edge.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  pairedInterval,
  studentCdf,
  studentQuantile,
  verdict,
} from '../../src/analysis/paired-interval';

test('Student t quantiles equal the published two-sided 95% values', () => {
  // t_{0.975, df} from standard tables (scipy.stats.t.ppf(0.975, df))
  const published: [number, number][] = [
    [1, 12.706204736174698],
    [2, 4.302652729911275],
    [3, 3.182446305284263],
    [4, 2.7764451051977987],
    [9, 2.2621571627409915],
    [30, 2.0422724563012373],
  ];
  for (const [df, t] of published)
    assert.ok(Math.abs(studentQuantile(0.975, df) - t) < 1e-9 * t, `df ${df}`);
  // the CDF of t with 1 degree of freedom is 1/2 + atan(t)/pi
  for (const t of [-3, -0.5, 0, 0.7, 4])
    assert.ok(Math.abs(studentCdf(t, 1) - (0.5 + Math.atan(t) / Math.PI)) < 1e-12);
});

test('three seeds: the paired interval equals a hand computation', () => {
  const arm = [0.981, 0.979, 0.984];
  const control = [0.978, 0.977, 0.979];
  // D = 0.003, 0.002, 0.005; mean 0.0033333; s_D = sqrt(((1/3)^2 + (4/3)^2 + (5/3)^2) e-6 / 2)
  //   = sqrt(42/9 / 2) e-3 = 0.00152753; half-width = 4.3026527 * 0.00152753 / sqrt(3)
  const mean = 0.01 / 3;
  const sd = Math.sqrt(42 / 9 / 2) * 1e-3;
  const half = (4.302652729911275 * sd) / Math.sqrt(3);
  const i = pairedInterval(arm, control);
  assert.equal(i.n, 3);
  assert.ok(Math.abs(i.mean - mean) < 1e-15);
  assert.ok(Math.abs(i.halfWidth! - half) < 1e-12, `${i.halfWidth} vs ${half}`);
  assert.ok(Math.abs(half - 0.0037946) < 1e-6);
  assert.equal(verdict(i, true), 'not distinguishable at this number of seeds');
});

test('the verdict switches at the edge of the interval', () => {
  // differences (m - 1, m, m + 1) * 1e-3: s_D = 1e-3, half-width = 4.3026527e-3 / sqrt(3)
  const half = (4.302652729911275 * 1e-3) / Math.sqrt(3);
  const at = (m: number) => pairedInterval([m - 1e-3, m, m + 1e-3], [0, 0, 0]);
  assert.equal(verdict(at(half * 1.001), true), 'better');
  assert.equal(verdict(at(half * 0.999), true), 'not distinguishable at this number of seeds');
  assert.equal(verdict(at(-half * 1.001), true), 'worse');
  assert.equal(verdict(at(-half * 0.999), true), 'not distinguishable at this number of seeds');
  // for a loss, lower is better
  assert.equal(verdict(at(-half * 1.001), false), 'better');
  assert.equal(verdict(at(half * 1.001), false), 'worse');
  // one seed: no interval, never a verdict
  const one = pairedInterval([0.99], [0.5]);
  assert.equal(one.halfWidth, undefined);
  assert.equal(verdict(one, true), 'not distinguishable at this number of seeds');
});
