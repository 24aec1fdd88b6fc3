/** Experiment B's B_simple and its standard error over the K draws, by hand on made-up draws. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drawNoiseInterval } from '../../src/analysis/draw-noise-interval';
import type { BatchSizeResult } from '../../src/analysis/gradient-distribution';

const draws = (toTrain: number[]) =>
  ({ draws: toTrain.map((x, draw) => ({ draw, toTrain: x })) }) as unknown as BatchSizeResult;

test('B_simple = mean_k t_k / |g_train|^2, s.e. = sd(t_k) / sqrt(K) / |g_train|^2', () => {
  // M = 10 examples, B = 2 and 4, K = 3 draws; |g_train| = 2 d
  const r = drawNoiseInterval({
    trainSize: 10,
    gTrainNorm: 2,
    batchSizes: [
      { ...draws([1, 2, 3]), batchSize: 2 },
      { ...draws([0.5, 1, 1.5]), batchSize: 4 },
    ],
  });
  // t_k = (2 a_k^2 / 0.8 + 4 b_k^2 / 0.6) / 2
  const t = [
    (2 / 0.8 + (4 * 0.25) / 0.6) / 2,
    ((2 * 4) / 0.8 + 4 / 0.6) / 2,
    ((2 * 9) / 0.8 + (4 * 2.25) / 0.6) / 2,
  ];
  const mean = (t[0]! + t[1]! + t[2]!) / 3;
  const sd = Math.sqrt(((t[0]! - mean) ** 2 + (t[1]! - mean) ** 2 + (t[2]! - mean) ** 2) / 2);
  assert.ok(Math.abs(r.simpleNoiseScale - mean / 4) < 1e-12);
  assert.ok(Math.abs(r.standardError! - sd / Math.sqrt(3) / 4) < 1e-12);
  assert.equal(r.draws, 3);
  const one = drawNoiseInterval({
    trainSize: 10,
    gTrainNorm: 2,
    batchSizes: [{ ...draws([1]), batchSize: 2 }],
  });
  assert.equal(one.standardError, undefined);
});
