/**
 * Adam and SGD against their update rules written out in float64 here, and
 * reproducibility: same seed and threads give bit-identical parameters.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Network } from '../../src/engine/network';
import { Optimizer } from '../../src/engine/optimizer';
import { copyOf, everyLayer, randomDataset, range, relativeError } from '../fixtures/helpers';

const data = randomDataset(16, [2, 6, 6], 3, 21);
const all = range(16);

test('Adam follows its update rule over three steps (float64)', () => {
  const net = new Network(everyLayer(), { seed: 1, dtype: 'float64' });
  const [lr, b1, b2, eps, wd] = [0.01, 0.8, 0.95, 1e-6, 0.01];
  const opt = new Optimizer(net, { kind: 'adam', lr, beta1: b1, beta2: b2, eps, weightDecay: wd });
  const w = copyOf(net.parameters);
  const m = new Float64Array(w.length);
  const v = new Float64Array(w.length);
  for (let t = 1; t <= 3; t++) {
    net.gradient(data, all, { mode: 'population' });
    const g = copyOf(net.gradients).map((x, i) => x + wd * w[i]!);
    opt.step();
    for (let i = 0; i < w.length; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      w[i] =
        w[i]! - (lr / (1 - b1 ** t)) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps));
    }
    assert.ok(relativeError(net.parameters, w) < 1e-12, `step ${t}`);
  }
  const state = opt.state();
  assert.equal(state.step, 3);
  assert.ok(relativeError(state.tensors.exp_avg!, m) < 1e-12);
  assert.ok(relativeError(state.tensors.exp_avg_sq!, v) < 1e-12);
});

for (const nesterov of [false, true]) {
  test(`SGD with momentum${nesterov ? ' (Nesterov)' : ''} follows its update rule`, () => {
    const net = new Network(everyLayer(), { seed: 2, dtype: 'float64' });
    const [lr, mu, wd] = [0.05, 0.9, 1e-3];
    const opt = new Optimizer(net, { kind: 'sgd', lr, momentum: mu, nesterov, weightDecay: wd });
    const w = copyOf(net.parameters);
    let b: Float64Array | undefined;
    for (let t = 1; t <= 3; t++) {
      net.gradient(data, all, { mode: 'population' });
      const g = copyOf(net.gradients).map((x, i) => x + wd * w[i]!);
      opt.step();
      b = b ? b.map((x, i) => mu * x + g[i]!) : Float64Array.from(g);
      for (let i = 0; i < w.length; i++)
        w[i] = w[i]! - lr * (nesterov ? g[i]! + mu * b[i]! : b[i]!);
      assert.ok(relativeError(net.parameters, w) < 1e-12, `step ${t}`);
    }
  });
}

test('optimizer state written back continues exactly as if never interrupted', () => {
  const make = () => {
    const net = new Network(everyLayer(), { seed: 3 });
    return { net, opt: new Optimizer(net, { kind: 'adam', lr: 1e-2 }) };
  };
  const a = make();
  for (let i = 0; i < 4; i++) {
    a.net.gradient(data, all, { mode: 'population' });
    a.opt.step();
  }
  const b = make();
  for (let i = 0; i < 2; i++) {
    b.net.gradient(data, all, { mode: 'population' });
    b.opt.step();
  }
  const c = make();
  c.net.parameters.set(b.net.parameters);
  c.opt.setState(b.opt.state());
  for (let i = 0; i < 2; i++) {
    c.net.gradient(data, all, { mode: 'population' });
    c.opt.step();
  }
  assert.deepEqual(c.net.parameters, a.net.parameters);
});

test('same seed and threads give bit-identical parameters after training steps with dropout', () => {
  const train = (seed: number): Float32Array => {
    const net = new Network(everyLayer(), { seed });
    const opt = new Optimizer(net, { kind: 'adam', lr: 1e-2 });
    for (let i = 0; i < 5; i++) {
      net.gradient(data, range(8, i % 2 ? 8 : 0), { mode: 'train' });
      opt.step();
    }
    return Float32Array.from(net.parameters);
  };
  const first = train(7);
  assert.deepEqual(train(7), first);
  assert.notDeepEqual(train(8), first);
});

test('learning rate can be changed between steps', () => {
  const net = new Network(everyLayer(), { seed: 4, dtype: 'float64' });
  const opt = new Optimizer(net, { kind: 'sgd', lr: 0.1 });
  opt.learningRate = 0.02;
  assert.equal(opt.learningRate, 0.02);
  const w = copyOf(net.parameters);
  net.gradient(data, all, { mode: 'population' });
  opt.step();
  const expected = w.map((x, i) => x - 0.02 * net.gradients[i]!);
  assert.ok(relativeError(net.parameters, expected) < 1e-14);
});
