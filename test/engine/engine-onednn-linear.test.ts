/**
 * Float32 Linear layers through oneDNN (native/linear.cc, the `linear` setting): the same
 * gradients and Hessian-vector products (second derivatives through oneDNN's products) as the
 * linked BLAS, to float32 rounding, and both
 * within float32 rounding of the float64 computation (which always uses BLAS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Network, type Mode } from '../../src/engine/network';
import { setThreads } from '../../src/engine/threads';
import { copyOf, randomDataset, range, relativeError } from '../fixtures/helpers';
import { mnistNetwork } from '../fixtures/networks';

const spec = mnistNetwork('onednn-mlp', { out: 64, batchNorm: true });
const data = randomDataset(300, [1, 28, 28], 10, 7);
const all = range(300);

/** A network of `dtype` holding the float32 network's weights (seed 4), exactly. */
function network(dtype: 'float32' | 'float64'): Network {
  const weights = new Network(spec, { seed: 4, dtype: 'float32' }).readParameters();
  const net = new Network(spec, { seed: 4, dtype });
  net.writeParameters(dtype === 'float64' ? Float64Array.from(weights) : weights);
  return net;
}

function gradient(linear: 'onednn' | 'blas', dtype: 'float32' | 'float64', mode: Mode) {
  setThreads({ linear });
  const net = network(dtype);
  const evaluation = net.gradient(data, all, { mode, chunk: 128 });
  return { g: copyOf(net.readGradients()), loss: evaluation.loss };
}

for (const mode of ['train', 'population'] as Mode[])
  test(`float32 gradients through oneDNN equal BLAS's and float64's to float32 rounding (${mode} mode)`, () => {
    const reference = gradient('blas', 'float64', mode);
    const blas = gradient('blas', 'float32', mode);
    const oneDnn = gradient('onednn', 'float32', mode);
    setThreads();
    // float32's epsilon is 1.2e-7; sums over 300 examples and 784 inputs: 1e-5
    assert.ok(
      relativeError(oneDnn.g, blas.g) < 1e-5,
      `oneDNN vs BLAS ${relativeError(oneDnn.g, blas.g)}`,
    );
    assert.ok(
      relativeError(oneDnn.g, reference.g) < 1e-5,
      `oneDNN vs float64 ${relativeError(oneDnn.g, reference.g)}`,
    );
    assert.ok(Math.abs(oneDnn.loss - reference.loss) < 1e-5 * Math.abs(reference.loss));
    // the switch really changes the kernel: two different products round differently
    assert.ok(
      oneDnn.g.some((v, i) => v !== blas.g[i]),
      'oneDNN and BLAS gave bit-identical gradients: the oneDNN path was not taken',
    );
  });

test('a Hessian-vector product in float32 through oneDNN (its twice-differentiable product) equals float64 and BLAS', () => {
  const hv = (linear: 'onednn' | 'blas', dtype: 'float32' | 'float64') => {
    setThreads({ linear });
    const net = network(dtype);
    const Vector = dtype === 'float64' ? Float64Array : Float32Array;
    const v = new Vector(net.parameterCount).map((_, i) => Math.sin(i + 1));
    const out = new Vector(net.parameterCount);
    net.hessianVector(data, all, v, out, { mode: 'population', chunk: 128 });
    return copyOf(out);
  };
  const reference = hv('blas', 'float64');
  const oneDnn = hv('onednn', 'float32');
  const blas = hv('blas', 'float32');
  setThreads();
  assert.ok(
    relativeError(oneDnn, reference) < 1e-4,
    `relative error ${relativeError(oneDnn, reference)}`,
  );
  assert.ok(relativeError(blas, reference) < 1e-4, `BLAS: ${relativeError(blas, reference)}`);
  assert.ok(
    oneDnn.some((x, i) => x !== blas[i]),
    'oneDNN and BLAS gave bit-identical products: the oneDNN path was not taken',
  );
});
