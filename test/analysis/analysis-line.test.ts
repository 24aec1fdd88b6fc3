/**
 * Experiment A: the endpoints of the line reproduce the solutions; `interpolate`
 * refuses negative variances; `recalibrate` computes exact per-channel statistics;
 * filter-normalised directions and the plane through three solutions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterNormalisedDirection, planeThrough } from '../../src/analysis/directions';
import {
  alphaGrid,
  DEFAULT_LINE,
  lossAlongLine,
  solutionOf,
  type Solution,
} from '../../src/analysis/loss-line';
import {
  DEFAULT_SURFACE,
  planeSurface,
  randomDirectionSurface,
} from '../../src/analysis/loss-surface';
import {
  recalibrateAndMeasureTrain,
  recalibrationSample,
} from '../../src/analysis/recalibration-sample';
import { uniformBatch } from '../../src/data/sampler';
import type { NetworkSpec } from '../../src/engine/layers';
import { Network } from '../../src/engine/network';
import { Optimizer } from '../../src/engine/optimizer';
import { everyLayer, randomStudyData, randomSource, range } from '../fixtures/helpers';
import { Dataset } from '../../src/engine/dataset';

const data = randomStudyData(60, 20, [2, 6, 6], 3, 41);

function trainedSolution(
  seed: number,
  label: string,
  steps = 6,
): { net: Network; solution: Solution } {
  const net = new Network(everyLayer(), { seed, dtype: 'float64' });
  const opt = new Optimizer(net, { kind: 'adam', lr: 0.02 });
  for (let i = 0; i < steps; i++) {
    net.gradient(data.train, range(20, (i % 3) * 20), { mode: 'train' });
    opt.step();
  }
  return { net, solution: solutionOf(net, label) };
}

const a = trainedSolution(1, 'a');
const b = trainedSolution(2, 'b');

test('at alpha = 0 and 1 the line reproduces w_a and w_b (interpolate and batch modes, by construction)', async () => {
  for (const bn of ['interpolate', 'batch'] as const) {
    const mode = bn === 'batch' ? 'batch' : 'population';
    const scratch = new Network(everyLayer(), { dtype: 'float64' });
    const r = await lossAlongLine(scratch, a.solution, b.solution, data, {
      ...DEFAULT_LINE,
      alphas: [0, 0.5, 1],
      bn,
      evalBatch: 7,
    });
    for (const [index, end] of [
      [0, a],
      [2, b],
    ] as const) {
      const train = end.net.evaluate(data.train, data.train.all(), { mode, chunk: 7 });
      const test = end.net.evaluate(data.test, data.test.all(), { mode, chunk: 7 });
      const p = r.points[index]!;
      assert.ok(Math.abs(p.train!.loss - train.loss) <= 1e-6 * train.loss, `${bn} train`);
      assert.ok(Math.abs(p.test!.loss - test.loss) <= 1e-6 * test.loss, `${bn} test`);
      assert.equal(p.train!.accuracy, train.accuracy);
      assert.equal(p.test!.accuracy, test.accuracy);
    }
  }
});

test('in recalibrate mode the endpoints are the solutions with statistics recomputed from the sample', async () => {
  const scratch = new Network(everyLayer(), { dtype: 'float64' });
  const r = await lossAlongLine(scratch, a.solution, b.solution, data, {
    ...DEFAULT_LINE,
    alphas: [0, 1],
    bn: 'recalibrate',
    sampleSize: 30,
    evalBatch: 7,
  });
  const sample = uniformBatch(0, 'recalibrate', 30, 0, 60).sort();
  for (const [index, end] of [
    [0, a],
    [1, b],
  ] as const) {
    end.net.recalibrate(data.train, sample, { holdActivations: false });
    // the whole training set evaluated directly, though the line takes the sample's
    // part from the recalibration pass
    const train = end.net.evaluate(data.train, data.train.all());
    const test = end.net.evaluate(data.test, data.test.all());
    const p = r.points[index]!;
    assert.ok(Math.abs(p.train!.loss - train.loss) <= 1e-9 * train.loss, 'train loss');
    assert.ok(Math.abs(p.test!.loss - test.loss) <= 1e-9 * test.loss, 'test loss');
    assert.equal(p.train!.accuracy, train.accuracy);
    assert.equal(p.test!.accuracy, test.accuracy);
    end.net.statistics.set(end.solution.statistics); // leave the solution as it was
  }
});

test('recalibration returns the sample measured with the new statistics when it held the activations', () => {
  const net = new Network(everyLayer(), { dtype: 'float64' });
  net.parameters.set(a.solution.parameters);
  const sample = recalibrationSample(5, 25, 60);
  assert.equal(sample.indices.length + sample.rest.length, 60);
  assert.deepEqual(
    [...sample.indices, ...sample.rest].sort((x, y) => x - y),
    Array.from(range(60)),
  );
  const held = net.recalibrate(data.train, sample.indices, { chunk: 4, holdActivations: true });
  const direct = net.evaluate(data.train, sample.indices, { chunk: 9 });
  assert.ok(held);
  assert.equal(held.count, 25);
  assert.equal(held.correct, direct.correct);
  assert.ok(Math.abs(held.lossSum - direct.lossSum) <= 1e-12 * direct.lossSum);
  assert.equal(net.recalibrate(data.train, sample.indices, { holdActivations: false }), null);
  const whole = recalibrateAndMeasureTrain(net, data.train, sample, 6);
  const all = net.evaluate(data.train, data.train.all());
  assert.equal(whole.count, 60);
  assert.equal(whole.correct, all.correct);
  assert.ok(Math.abs(whole.loss - all.loss) <= 1e-12 * all.loss);
});

test('interpolate: an extrapolated point with a negative running variance is undefined, with the reason', async () => {
  const low: Solution = { ...a.solution, statistics: a.solution.statistics.map(() => 0.1) };
  const high: Solution = { ...b.solution, statistics: b.solution.statistics.map(() => 1) };
  const scratch = new Network(everyLayer(), { dtype: 'float64' });
  const r = await lossAlongLine(scratch, low, high, data, {
    ...DEFAULT_LINE,
    alphas: [-2, 0, 3],
    bn: 'interpolate',
  });
  // at alpha = 3: -2 * 0.1 + 3 * 1 > 0 (defined); at alpha = -2: 3 * 0.1 - 2 * 1 < 0 (undefined)
  assert.equal(r.points[0]!.train, null);
  assert.match(
    r.points[0]!.undefinedReason!,
    /running variance of layer 1, channel 0, is negative/,
  );
  assert.ok(r.points[2]!.test);
  assert.ok(r.best && r.best.alpha !== -2);
});

test('recalibrate gives the exact per-channel mean and unbiased variance of each pre-BN activation', () => {
  // first batch-norm layer, by hand: its input is W x
  const spec: NetworkSpec = {
    name: 'probe',
    input: [1, 2, 3],
    classes: 3,
    layers: [
      { type: 'flatten' },
      { type: 'linear', out: 4, bias: false },
      { type: 'batchnorm1d', momentum: 1 },
      { type: 'relu' },
      { type: 'linear', out: 5, bias: false },
      { type: 'batchnorm1d', momentum: 1 },
      { type: 'relu' },
      { type: 'linear', out: 3 },
    ],
  };
  const source = randomSource(50, [1, 2, 3], 3, 8);
  const set = new Dataset('probe', 3, source);
  const net = new Network(spec, { seed: 4, dtype: 'float64' });
  const sample = Int32Array.from([3, 7, 9, 10, 21, 22, 30, 31, 40, 49]);
  net.recalibrate(set, sample, { chunk: 3 });
  // By hand, in float64: h1 = W1 x; the second layer's input h2 = W2 relu(BN1(h1)), with
  // BN1 on the statistics just recalibrated, as population mode will see it.
  const w = net.parameters;
  const st = net.statistics;
  const W1 = w.subarray(0, 24); // 4 x 6
  const [g1, b1, W2] = [w.subarray(24, 28), w.subarray(28, 32), w.subarray(32, 52)]; // W2: 5 x 4
  const h1 = Array.from(sample, (n) =>
    Array.from({ length: 4 }, (_, c) => {
      let s = 0;
      for (let k = 0; k < 6; k++)
        s += W1[c * 6 + k]! * Math.fround(source.pixels[n * 6 + k]! / 255);
      return s;
    }),
  );
  const h2 = h1.map((h) => {
    const r = h.map((v, c) =>
      Math.max(0, ((v - st[c]!) / Math.sqrt(st[4 + c]! + 1e-5)) * g1[c]! + b1[c]!),
    );
    return Array.from({ length: 5 }, (_, o) => r.reduce((s, v, c) => s + W2[o * 4 + c]! * v, 0));
  });
  const check = (
    rows: number[][],
    channels: number,
    meanAt: number,
    varAt: number,
    what: string,
  ) => {
    for (let c = 0; c < channels; c++) {
      const h = rows.map((r) => r[c]!);
      const mean = h.reduce((s, v) => s + v, 0) / h.length;
      const variance = h.reduce((s, v) => s + (v - mean) ** 2, 0) / (h.length - 1);
      assert.ok(Math.abs(st[meanAt + c]! - mean) < 1e-12, `${what} mean, channel ${c}`);
      assert.ok(Math.abs(st[varAt + c]! - variance) < 1e-12, `${what} variance, channel ${c}`);
    }
  };
  check(h1, 4, 0, 4, 'first batch norm');
  check(h2, 5, 8, 13, 'second batch norm');
  // and neither chunking nor recomputing each layer's inputs changes anything
  for (const [chunk, holdActivations] of [
    [10, true],
    [3, false],
    [10, false],
  ] as const) {
    const other = new Network(spec, { seed: 4, dtype: 'float64' });
    other.recalibrate(set, sample, { chunk, holdActivations });
    for (let i = 0; i < st.length; i++) assert.ok(Math.abs(other.statistics[i]! - st[i]!) < 1e-12);
  }
});

test('a filter-normalised direction has, filter by filter, the norm of the solution filter', () => {
  const net = a.net;
  const w = a.solution.parameters;
  const d = filterNormalisedDirection(net, w, 3, 'x');
  for (const p of net.parameterTable) {
    if (p.shape.length < 2) {
      assert.ok(
        d.subarray(p.offset, p.offset + p.size).every((x) => x === 0),
        `${p.name} is left at zero`,
      );
      continue;
    }
    const width = p.size / p.shape[0]!;
    for (let r = 0; r < p.shape[0]!; r++) {
      let dn = 0;
      let wn = 0;
      for (let i = p.offset + r * width; i < p.offset + (r + 1) * width; i++) {
        dn += d[i]! ** 2;
        wn += w[i]! ** 2;
      }
      assert.ok(
        Math.abs(Math.sqrt(dn) - Math.sqrt(wn)) <= 1e-12 * Math.sqrt(wn),
        `${p.name} filter ${r}`,
      );
    }
  }
  assert.notDeepEqual(d, filterNormalisedDirection(net, w, 3, 'y'));
  assert.deepEqual(d, filterNormalisedDirection(net, w, 3, 'x'));
});

test('the surface at the origin is the loss of the solution; the plane passes through all three', async () => {
  const scratch = new Network(everyLayer(), { dtype: 'float64' });
  const s = await randomDirectionSurface(scratch, a.solution, data, {
    ...DEFAULT_SURFACE,
    xs: [-0.5, 0, 0.5],
    ys: [0, 0.25],
    bn: 'keep',
  });
  const direct = a.net.evaluate(data.test, data.test.all());
  assert.ok(Math.abs(s.loss[1]![0]! - direct.loss) <= 1e-12 * direct.loss);
  assert.equal(s.accuracy[1]![0], direct.accuracy);

  const c = trainedSolution(3, 'c');
  const plane = planeThrough(a.solution.parameters, b.solution.parameters, c.solution.parameters);
  const [cx, cy] = plane.c;
  const at = (x: number, y: number) =>
    a.solution.parameters.map((w, i) => w + x * plane.e1[i]! + y * plane.e2[i]!);
  const close = (u: Float64Array, v: Float32Array | Float64Array) =>
    u.every((x, i) => Math.abs(x - v[i]!) < 1e-12);
  assert.ok(close(at(1, 0) as Float64Array, b.solution.parameters));
  assert.ok(close(at(cx, cy) as Float64Array, c.solution.parameters));
  const p = await planeSurface(scratch, a.solution, b.solution, c.solution, data, {
    ...DEFAULT_SURFACE,
    xs: [0, 1],
    ys: [0],
    bn: 'batch',
    evalBatch: 20,
  });
  const bDirect = b.net.evaluate(data.test, data.test.all(), { mode: 'batch', chunk: 20 });
  assert.ok(Math.abs(p.loss[1]![0]! - bDirect.loss) <= 1e-9 * bDirect.loss);
});

test('the default alpha grid is -2 to 3 in 51 points of 0.1, each the nearest double, with 0 and 1 exact', () => {
  const grid = DEFAULT_LINE.alphas;
  assert.equal(grid.length, 51);
  grid.forEach((alpha, i) => assert.equal(alpha, Number((-2 + i / 10).toFixed(1)), `point ${i}`));
  assert.ok(grid.includes(0) && grid.includes(1));
  assert.deepEqual(alphaGrid(0.5, 0.5, 1), [0.5]);
});
