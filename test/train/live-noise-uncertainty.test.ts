/**
 * The live B_simple's standard error (src/train/live-noise-uncertainty.ts): against the
 * textbook ratio estimator's by hand for equal weights, its point value against the moving
 * averages the training loop keeps, a history across the change of average, and its coverage
 * in a simulation of single measurements from the estimator's own distribution.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveNoiseInterval } from '../../src/train/live-noise-uncertainty';
import {
  NO_AVERAGES,
  noiseEstimate,
  simpleNoiseScale,
  updateAverages,
  type NoiseAverages,
} from '../../src/train/noise-scale';
import { random } from '../fixtures/helpers';

test('equal weights: the ratio estimator R = sum T / sum G and its n/(n-1) residual variance', () => {
  // an average of practically infinite length weighs the three measurements alike
  const history = [
    { trace: 400, gradientSquared: 2.0 },
    { trace: 420, gradientSquared: 1.6 },
    { trace: 380, gradientSquared: 1.9 },
  ];
  const r = liveNoiseInterval(history, 64, 1e15);
  const R = 1200 / 5.5;
  assert.ok(Math.abs(r.simpleNoiseScale - R) < 1e-9 * R);
  // s.e. = sqrt( n/(n-1) sum (T_j - R G_j)^2 ) / sum G_j
  const residuals = (400 - R * 2.0) ** 2 + (420 - R * 1.6) ** 2 + (380 - R * 1.9) ** 2;
  const expected = Math.sqrt((3 / 2) * residuals) / 5.5;
  assert.ok(Math.abs(r.standardError! - expected) < 1e-6 * expected, `${r.standardError}`);
  assert.ok(Math.abs(r.effectiveCount - 3) < 1e-9);
  // one measurement: no interval
  assert.equal(liveNoiseInterval(history.slice(0, 1), 64, 640).standardError, undefined);
});

test("its B_simple is the training loop's moving averages' (weights keep^(m - j))", () => {
  const rand = random(3);
  const history = Array.from({ length: 25 }, (_, j) => ({
    trace: (300 + 200 * rand()) * 0.8 ** j,
    gradientSquared: (0.5 + rand()) * 0.8 ** j,
    average: 'scale-free' as const,
    scale: (3 + rand()) * 0.8 ** j,
  }));
  let averages: NoiseAverages = NO_AVERAGES;
  for (const h of history) averages = updateAverages(averages, h, 32, 640);
  const r = liveNoiseInterval(history, 32, 640);
  const loop = simpleNoiseScale(averages);
  assert.ok(Math.abs(r.simpleNoiseScale - loop) < 1e-12 * loop);
});

test('a history across the change of average: only the trailing run of the last kind counts', () => {
  // records of an older gradscope (no average field: the plain averages), then a resume that
  // restarted the averages scale-free: the interval is of the scale-free run alone
  const old = [
    { trace: 900, gradientSquared: 1 },
    { trace: 50, gradientSquared: 1 },
  ];
  const fresh = [
    { trace: 40, gradientSquared: 0.1, average: 'scale-free' as const, scale: 0.3 },
    { trace: 4, gradientSquared: 0.01, average: 'scale-free' as const, scale: 0.03 },
  ];
  const both = liveNoiseInterval([...old, ...fresh], 64, 640);
  const alone = liveNoiseInterval(fresh, 64, 640);
  assert.equal(both.simpleNoiseScale, alone.simpleNoiseScale);
  assert.equal(both.standardError, alone.standardError);
  // each scale-free measurement weighs by its age alone: 400 and 400, whatever their sizes
  assert.ok(Math.abs(alone.simpleNoiseScale - 400) < 1e-9);
  // the older records alone: the ratio of their plain averages, as they were written
  const keep = (1 - 1 / 640) ** 64;
  const plain = (keep * 900 + 50) / (keep * 1 + 1);
  assert.ok(Math.abs(liveNoiseInterval(old, 64, 640).simpleNoiseScale - plain) < 1e-9 * plain);
});

test('the standard error matches the spread of B_simple over simulated runs (EMA weights)', () => {
  const rand = random(29);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  // single measurements from the estimator's own distribution: k = 4 chunks of b = 64, chunk
  // gradients N(G, I_d / b) in d = 20 directions, |G|^2 = 20 / 256: B_simple = 256 = B
  const d = 20;
  const k = 4;
  const b = 64;
  const measurement = () => {
    const sum = new Float64Array(d);
    let smallSquared = 0;
    for (let j = 0; j < k; j++) {
      let norm = 0;
      for (let i = 0; i < d; i++) {
        const g = 1 / 16 + normal() / Math.sqrt(b);
        norm += g * g;
        sum[i]! += g / k;
      }
      smallSquared += norm / k;
    }
    const bigSquared = sum.reduce((s, x) => s + x * x, 0);
    const e = noiseEstimate({ bigSquared, smallSquared, chunks: k, chunkSize: b }, Infinity);
    return { ...e, average: 'scale-free' as const };
  };
  const values: number[] = [];
  const errors: number[] = [];
  for (let run = 0; run < 3000; run++) {
    // 40 measurements every 64 steps of an average of 640: about 10 effective
    const history = Array.from({ length: 40 }, measurement);
    const r = liveNoiseInterval(history, 64, 640);
    values.push(r.simpleNoiseScale);
    errors.push(r.standardError!);
  }
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1));
  const rms = Math.sqrt(errors.reduce((s, x) => s + x * x, 0) / errors.length);
  assert.ok(Math.abs(rms / sd - 1) < 0.1, `s.e. ${rms} against the spread ${sd}`);
});
