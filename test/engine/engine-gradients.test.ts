/**
 * The engine's gradients against central finite differences in float64, float32
 * against float64, and the population-mode decomposition g_set = mean of
 * per-example gradients (docs/mathematics.md, "Batch normalisation when gradients are measured").
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Network, type Mode } from '../../src/engine/network';
import {
  copyOf,
  everyLayer,
  randomDataset,
  randomSource,
  range,
  relativeError,
  scrambleStatistics,
} from '../fixtures/helpers';

const data = randomDataset(12, [2, 6, 6], 3, 11);
const all = range(12);

function finiteDifferenceGradient(net: Network, mode: Mode, h = 1e-6): Float64Array {
  const w = net.parameters;
  const out = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const keep = w[i]!;
    w[i] = keep + h;
    const plus = net.evaluate(data, all, { mode }).loss;
    w[i] = keep - h;
    const minus = net.evaluate(data, all, { mode }).loss;
    w[i] = keep;
    out[i] = (plus - minus) / (2 * h);
  }
  return out;
}

for (const mode of ['batch', 'population'] as Mode[]) {
  test(`float64 gradients of every layer type match central differences (${mode} mode)`, () => {
    const net = new Network(everyLayer(), { seed: 3, dtype: 'float64' });
    scrambleStatistics(net.statistics, net.statisticsTable);
    const g = copyOf((net.gradient(data, all, { mode }), net.gradients));
    const fd = finiteDifferenceGradient(net, mode);
    const error = relativeError(g, fd);
    assert.ok(error < 1e-6, `relative error ${error}`);
    // Each parameter tensor separately, so a wrong layer cannot hide behind a large one.
    // A bias followed by batch norm in batch mode has gradient exactly 0 (batch norm
    // subtracts the batch mean); there both sides must be ~0 instead.
    for (const p of net.parameterTable) {
      const gp = g.subarray(p.offset, p.offset + p.size);
      const fdp = fd.subarray(p.offset, p.offset + p.size);
      const biasBeforeBatchNorm = mode === 'batch' && p.name === '0.bias';
      if (biasBeforeBatchNorm) {
        assert.ok(Math.max(...gp.map(Math.abs)) < 1e-12, `${p.name}: ${gp}`);
        assert.ok(Math.max(...fdp.map(Math.abs)) < 1e-8, `${p.name}: ${fdp}`);
      } else {
        const e = relativeError(gp, fdp);
        assert.ok(e < 1e-6, `${p.name}: relative error ${e}`);
      }
    }
  });

  test(`float32 gradients agree with float64 to 1e-4 (${mode} mode)`, () => {
    const net64 = new Network(everyLayer(), { seed: 3, dtype: 'float64' });
    const net32 = new Network(everyLayer(), { seed: 3, dtype: 'float32' });
    scrambleStatistics(net64.statistics, net64.statisticsTable);
    net32.parameters.set(net64.parameters);
    net32.statistics.set(net64.statistics);
    net64.gradient(data, all, { mode });
    net32.gradient(data, all, { mode });
    const error = relativeError(net32.gradients, net64.gradients);
    assert.ok(error < 1e-4, `relative error ${error}`);
  });
}

test('population mode: the gradient of a set is the mean of per-example gradients', () => {
  const net = new Network(everyLayer(), { seed: 5, dtype: 'float32' });
  scrambleStatistics(net.statistics, net.statisticsTable);
  const mean = new Float64Array(net.parameterCount);
  for (let i = 0; i < all.length; i++) {
    net.gradient(data, Int32Array.of(i), { mode: 'population' });
    for (let j = 0; j < mean.length; j++) mean[j] += net.gradients[j]! / all.length;
  }
  const whole = net.gradient(data, all, { mode: 'population' });
  const error = relativeError(net.gradients, mean);
  assert.ok(error < 1e-5, `relative error ${error}`);
  // and the loss is the mean of per-example losses
  let lossSum = 0;
  for (let i = 0; i < all.length; i++)
    lossSum += net.evaluate(data, Int32Array.of(i), { mode: 'population' }).loss;
  assert.ok(Math.abs(whole.lossSum - lossSum) / lossSum < 1e-5);
});

test('population mode: chunked evaluation equals unchunked', () => {
  const net = new Network(everyLayer(), { seed: 5 });
  scrambleStatistics(net.statistics, net.statisticsTable);
  const whole = net.gradient(data, all, { mode: 'population' });
  const g = copyOf(net.gradients);
  const chunked = net.gradient(data, all, { mode: 'population', chunk: 5 });
  assert.ok(relativeError(net.gradients, g) < 1e-6);
  assert.ok(Math.abs(chunked.lossSum - whole.lossSum) < 1e-5 * whole.lossSum);
  assert.equal(chunked.correct, whole.correct);
  const e1 = net.evaluate(data, all, { mode: 'population', chunk: 12 });
  const e2 = net.evaluate(data, all, { mode: 'population', chunk: 1 });
  assert.ok(Math.abs(e1.lossSum - e2.lossSum) < 1e-5 * e1.lossSum);
});

test('forward-only population mode (batch norm folded into the layer before it) equals the differentiable path (float64)', () => {
  // evaluate() and logits() run Linear/Conv2d + batch norm as one affine map; gradient()
  // runs them as PyTorch does (compared with PyTorch in engine-pytorch.test.ts)
  const net = new Network(everyLayer(), { seed: 6, dtype: 'float64' });
  scrambleStatistics(net.statistics, net.statisticsTable);
  for (let i = 0; i < net.parameters.length; i++) net.parameters[i] += 0.01 * Math.sin(i);
  const differentiable = net.gradient(data, all, { mode: 'population' });
  const folded = net.evaluate(data, all, { mode: 'population' });
  assert.ok(Math.abs(folded.lossSum - differentiable.lossSum) < 1e-12 * differentiable.lossSum);
  assert.equal(folded.correct, differentiable.correct);
  // per example, through logits, against the log-softmax of each example's loss
  const logits = net.logits(data, all, { mode: 'population', chunk: 5 });
  const labels = randomSource(12, [2, 6, 6], 3, 11).labels; // those of `data`
  for (let n = 0; n < 12; n++) {
    const row = Array.from(logits.subarray(3 * n, 3 * n + 3));
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    const loss = logSum - row[labels[n]!]!;
    const one = net.gradient(data, Int32Array.of(n), { mode: 'population' });
    assert.ok(Math.abs(loss - one.lossSum) < 1e-12 * Math.max(1, one.lossSum), `example ${n}`);
  }
});

test('batch mode: chunks are ghost batches, weighted by size', () => {
  const net = new Network(everyLayer(), { seed: 9, dtype: 'float64' });
  net.gradient(data, all, { mode: 'batch', chunk: 5 });
  const ghost = copyOf(net.gradients);
  // by hand: ghost batches [0,5), [5,10), [10,12), each a mean gradient, weighted 5/12, 5/12, 2/12
  const expected = new Float64Array(net.parameterCount);
  for (const [start, size] of [
    [0, 5],
    [5, 5],
    [10, 2],
  ] as const) {
    net.gradient(data, range(size, start), { mode: 'batch' });
    for (let j = 0; j < expected.length; j++) expected[j] += (size / 12) * net.gradients[j]!;
  }
  assert.ok(relativeError(ghost, expected) < 1e-12);
  // and a batch-mode gradient differs from the population-mode one (batch statistics matter)
  net.gradient(data, all, { mode: 'population' });
  assert.ok(relativeError(net.gradients, ghost) > 1e-3);
});

test('measuring modes leave running statistics untouched; train mode updates them', () => {
  const net = new Network(everyLayer(), { seed: 2 });
  const before = Float32Array.from(net.statistics);
  net.gradient(data, all, { mode: 'batch' });
  net.gradient(data, all, { mode: 'population' });
  net.evaluate(data, all, { mode: 'batch' });
  assert.deepEqual(net.statistics, before);
  assert.deepEqual(Array.from(net.batchCounts), [0n, 0n]);
  net.gradient(data, all, { mode: 'train' });
  assert.notDeepEqual(net.statistics, before);
  assert.deepEqual(Array.from(net.batchCounts), [1n, 1n]);
});

test('the Hessian-vector product matches the central difference of gradients (float64)', () => {
  const net = new Network(everyLayer(), { seed: 4, dtype: 'float64' });
  scrambleStatistics(net.statistics, net.statisticsTable);
  const v = new Float64Array(net.parameterCount).map((_, i) => Math.sin(i + 1));
  const hv = new Float64Array(net.parameterCount);
  net.hessianVector(data, all, v, hv, { mode: 'population', chunk: 5 });
  const w0 = copyOf(net.parameters);
  const h = 1e-5;
  const gradAt = (sign: number): Float64Array => {
    for (let i = 0; i < w0.length; i++) net.parameters[i] = w0[i]! + sign * h * v[i]!;
    net.gradient(data, all, { mode: 'population' });
    return copyOf(net.gradients);
  };
  const gp = gradAt(1);
  const gm = gradAt(-1);
  net.parameters.set(w0);
  const fd = gp.map((x, i) => (x - gm[i]!) / (2 * h));
  const error = relativeError(hv, fd);
  assert.ok(error < 1e-6, `relative error ${error}`);
});
