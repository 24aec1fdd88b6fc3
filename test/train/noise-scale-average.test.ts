/**
 * The live noise scale's scale-free moving average (docs/mathematics.md, "Moving averages and
 * the outputs"): where |G|^2 and tr(Sigma) fall geometrically it follows the true ratio, where
 * the ratio of the plain averages freezes on the oldest, largest measurements; on stationary
 * noisy measurements drawn from the estimator's own distribution its bias is the one derived
 * there, 2/(k d)-like, not the plain averages' (about none).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  NO_AVERAGES,
  noiseEstimate,
  simpleNoiseScale,
  updateAverages,
  type NoiseAverages,
} from '../../src/train/noise-scale';
import { random } from '../fixtures/helpers';

const EVERY = 64;
const LENGTH = 640; // keep = (1 - 1/640)^64 = 0.905 a measurement, as configs/switch.yaml runs
const KEEP = (1 - 1 / LENGTH) ** EVERY;
const N = 60000;

/** The ratio of the plain moving averages, as gradscope kept it before (kept here only as the
 * baseline the scale-free one is measured against). */
function plainRatio(estimates: { trace: number; gradientSquared: number }[]): number {
  let t = 0;
  let g = 0;
  for (const e of estimates) {
    t = KEEP * t + (1 - KEEP) * e.trace;
    g = KEEP * g + (1 - KEEP) * e.gradientSquared;
  }
  return t / g;
}

function scaleFree(estimates: Parameters<typeof updateAverages>[1][]): number {
  let a: NoiseAverages = NO_AVERAGES;
  for (const e of estimates) a = updateAverages(a, e, EVERY, LENGTH);
  return simpleNoiseScale(a);
}

/** One measurement of k chunks of b examples, chunk gradients N(G, (sigma2 / b) I_d). */
function measure(
  normal: () => number,
  gradient: Float64Array,
  sigma2: number,
  k: number,
  b: number,
  population = N,
): ReturnType<typeof noiseEstimate> {
  const d = gradient.length;
  const sum = new Float64Array(d);
  let smallSquared = 0;
  for (let j = 0; j < k; j++) {
    let norm = 0;
    for (let i = 0; i < d; i++) {
      const g = gradient[i]! + Math.sqrt(sigma2 / b) * normal();
      norm += g * g;
      sum[i]! += g / k;
    }
    smallSquared += norm / k;
  }
  const bigSquared = sum.reduce((s, x) => s + x * x, 0);
  return noiseEstimate({ bigSquared, smallSquared, chunks: k, chunkSize: b }, population);
}

function gaussian(seed: number): () => number {
  const rand = random(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** The switch study's fall (mathematics.md): |G|^2 and tr(Sigma) 10x smaller every 5
 * measurements; the true ratio R_j rising from 1000 to 6000 over the first 20 measurements (or
 * constant), then constant for 60 more. */
const MEASUREMENTS = 80;
const fall = (j: number) => 10 ** (-j / 5);
const rising = (j: number) => 1000 * 6 ** (Math.min(j, 19) / 19);

test('a geometric fall, exact estimates: the scale-free average follows the ratio, the plain one freezes', () => {
  const b = 250;
  const exact = (ratio: (j: number) => number) =>
    Array.from({ length: MEASUREMENTS }, (_, j) => {
      const gradientSquared = fall(j);
      const trace = ratio(j) * gradientSquared;
      // s = |G_small|^2's value: |G|^2 + (1/b - 1/n) tr(Sigma)
      return { gradientSquared, trace, scale: gradientSquared + (1 / b - 1 / N) * trace };
    });
  // a constant ratio: both averages are exact (each is a weighted mean of equal ratios)
  const constant = exact(() => 2000);
  assert.ok(Math.abs(scaleFree(constant) / 2000 - 1) < 1e-12);
  assert.ok(Math.abs(plainRatio(constant) / 2000 - 1) < 1e-12);
  // a rising ratio: the scale-free B_simple is a mean of R_j with weights keep^(79 - j) y_j,
  // y_j = 1 / (1 + R_j / b') within a factor 5 of each other, so the 20 rising measurements hold
  // at most 5 keep^60 = 1.2% of the weight, each at most 5000 below 6000: within 1.5% of 6000
  const rise = exact(rising);
  const followed = scaleFree(rise);
  assert.ok(Math.abs(followed / 6000 - 1) < 0.015, `scale-free ${followed}`);
  // the plain ratio weighs measurement j by keep^(79 - j) 10^(-j/5): one measurement older
  // weighs 1.58 keep = 1.43 times more, so the first few hold nearly all of it: it reports about
  // the ratio of the first measurements (1000 to 1500), 60 measurements (60 x 64 steps) late
  const frozen = plainRatio(rise);
  assert.ok(frozen > 1000 && frozen < 1500, `plain ${frozen}`);
  // and it has not moved over the last 60 measurements (1%), while the truth rose 6x before them
  assert.ok(Math.abs(plainRatio(rise.slice(0, 20)) / frozen - 1) < 0.01);
});

test('a geometric fall, noisy estimates from N(G, Sigma/b) chunk gradients: the same, on 5 seeds', () => {
  // d = 1000 directions, k = 4 chunks of b = 250 (B = 1000, as the ramp ran): one measurement's
  // |G|^2 has a relative s.d. of about sqrt((4 R/B + 8/3 R^2/B^2) / d) = 0.3 at R = 6000, and the
  // average of about 20 effective measurements about 0.07: 25% is over 3 of its s.d.
  const d = 1000;
  const k = 4;
  const b = 250;
  for (let seed = 1; seed <= 5; seed++) {
    for (const [ratio, R] of [
      [rising, 6000],
      [() => 2000, 2000],
    ] as const) {
      const normal = gaussian(seed * 7 + R);
      const estimates = Array.from({ length: MEASUREMENTS }, (_, j) => {
        const gradient = new Float64Array(d).fill(Math.sqrt(fall(j) / d)); // |G|^2 = fall(j)
        return measure(normal, gradient, (ratio(j) * fall(j)) / d, k, b); // tr(Sigma) = R_j |G|^2
      });
      const followed = scaleFree(estimates);
      assert.ok(Math.abs(followed / R - 1) < 0.25, `seed ${seed}, R ${R}: scale-free ${followed}`);
      // the plain ratio froze: it is what it was 60 measurements before, to 1%
      const frozen = plainRatio(estimates);
      assert.ok(
        Math.abs(plainRatio(estimates.slice(0, 20)) / frozen - 1) < 0.01,
        `seed ${seed}, R ${R}: plain ${frozen}`,
      );
      if (R === 6000) assert.ok(frozen < 2000, `seed ${seed}: plain ${frozen}`);
    }
  }
});

/**
 * E[rho] for rho = |G_B|^2 / (k |G_b|^2)-like: with isotropic noise sigma^2 I_d,
 * |G_B|^2 = sigma^2/B X, X ~ chi'^2_d(lambda), lambda = B |G|^2 / sigma^2, and
 * |G_b|^2 - |G_B|^2 = sigma^2/B Y, Y ~ chi^2_{d(k-1)} independent; X is a Poisson(lambda/2)
 * mixture of chi^2_{d+2J}, and given J, X / (X + Y) ~ Beta: mean (d + 2J) / (dk + 2J).
 */
function expectedShare(d: number, k: number, lambda: number): number {
  let p = Math.exp(-lambda / 2);
  let sum = 0;
  for (let J = 0; J < 400; J++) {
    if (J > 0) p *= lambda / 2 / J;
    sum += (p * (d + 2 * J)) / (d * k + 2 * J);
  }
  return sum;
}

test('stationary noisy measurements: the scale-free average carries the bias derived in mathematics.md', () => {
  // x = tr^/s and y = |G|^2^/s are affine in rho = |G_B|^2/|G_b|^2 (n large, so the 1/n term is
  // ~0): x = (1 - rho) / (1/b - 1/B), y = (B rho - b) / (B - b); a long average converges to
  // E x / E y = B (1 - E rho) / (k E rho - 1), against the truth B d / lambda: the bias
  const d = 4;
  const k = 4;
  const b = 16;
  const B = k * b;
  const truth = 64; // B_simple = tr / |G|^2 = d sigma^2 / |G|^2 with sigma^2 = 1: B / B_simple = 1
  const lambda = (B * d) / truth;
  const share = expectedShare(d, k, lambda);
  const limit = (B * (1 - share)) / (k * share - 1);
  const bias = limit / truth - 1;
  // 2/(k d) = 0.125 when B << B_simple; at B = B_simple a little less
  assert.ok(bias > 0.08 && bias < 0.125, `derived bias ${bias}`);
  // a long average (L = 64 x 100 steps: about 200 effective measurements) per seed, so that the
  // ratio of averages adds a second-order bias of about Var(y)/(E y)^2 / 200, under 0.005 here
  const runs = 300;
  const values: number[] = [];
  for (let seed = 1; seed <= runs; seed++) {
    const normal = gaussian(1000 + seed);
    let a: NoiseAverages = NO_AVERAGES;
    const gradient = new Float64Array(d).fill(Math.sqrt(1 / truth)); // |G|^2 = d / truth
    // an infinite population, as the chunks are drawn (no 1/n term)
    for (let j = 0; j < 600; j++)
      a = updateAverages(a, measure(normal, gradient, 1, k, b, Infinity), 64, 6400);
    values.push(simpleNoiseScale(a) / truth);
  }
  const mean = values.reduce((s, v) => s + v, 0) / runs;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (runs - 1));
  // tolerance: 4 standard errors of the mean over the seeds, plus the second-order 0.005
  const tolerance = (4 * sd) / Math.sqrt(runs) + 0.005;
  assert.ok(
    Math.abs(mean - 1 - bias) < tolerance,
    `mean ${mean} against 1 + ${bias.toFixed(4)}, tolerance ${tolerance.toFixed(4)}`,
  );
});
