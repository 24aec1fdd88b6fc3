/**
 * The live B_simple's standard error (src/train/live-noise-uncertainty.ts): against the
 * textbook ratio estimator's by hand for equal weights, its point value against the moving
 * averages the training loop keeps, and its coverage in a simulation with the EMA's weights.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveNoiseInterval } from '../../src/train/live-noise-uncertainty';
import {
  NO_AVERAGES,
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
  const history = Array.from({ length: 25 }, () => ({
    trace: 300 + 200 * rand(),
    gradientSquared: 0.5 + rand(),
  }));
  let averages: NoiseAverages = NO_AVERAGES;
  for (const h of history) averages = updateAverages(averages, h, 32, 640);
  const r = liveNoiseInterval(history, 32, 640);
  const loop = simpleNoiseScale(averages);
  assert.ok(Math.abs(r.simpleNoiseScale - loop) < 1e-12 * loop);
});

test('the standard error matches the spread of B_simple over simulated runs (EMA weights)', () => {
  const rand = random(29);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const values: number[] = [];
  const errors: number[] = [];
  for (let run = 0; run < 3000; run++) {
    // 40 measurements every 64 steps of an average of 640: about 10 effective; T and G noisy
    // and correlated as single estimates are (true B_simple = 1000 / 2 = 500)
    const history = Array.from({ length: 40 }, () => {
      const a = normal();
      const b = normal();
      return { trace: 1000 + 300 * a, gradientSquared: 2 + 0.5 * (0.6 * a + 0.8 * b) };
    });
    const r = liveNoiseInterval(history, 64, 640);
    values.push(r.simpleNoiseScale);
    errors.push(r.standardError!);
  }
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1));
  const rms = Math.sqrt(errors.reduce((s, x) => s + x * x, 0) / errors.length);
  assert.ok(Math.abs(rms / sd - 1) < 0.1, `s.e. ${rms} against the spread ${sd}`);
});
