/**
 * Bad input never reaches C++: each case gives a clear Error from TypeScript,
 * naming the layer index and field, the option, or the size that is wrong.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dataset } from '../../src/engine/dataset';
import { GradscopeInputError } from '../../src/core/errors';
import type { NetworkSpec } from '../../src/engine/layers';
import { Network } from '../../src/engine/network';
import { Optimizer } from '../../src/engine/optimizer';
import { everyLayer, randomDataset, range } from '../fixtures/helpers';

const rejects = (f: () => unknown, pattern: RegExp): void =>
  assert.throws(f, (e: unknown) => e instanceof GradscopeInputError && pattern.test(e.message));

function withLayer(i: number, layer: unknown): NetworkSpec {
  const spec = everyLayer();
  (spec.layers as unknown[])[i] = layer;
  return spec;
}

test('malformed layer specs are named by layer index and field', () => {
  rejects(() => new Network(withLayer(0, { type: 'conv3d', out: 3 })), /layers\[0\]\.type/);
  rejects(
    () => new Network(withLayer(0, { type: 'conv2d', out: -3, kernel: 3 })),
    /layers\[0\]\.out.*-3/,
  );
  rejects(() => new Network(withLayer(0, { type: 'conv2d', out: 3 })), /layers\[0\]\.kernel/);
  rejects(
    () => new Network(withLayer(0, { type: 'conv2d', out: 3, kernel: 4, padding: 'same' })),
    /layers\[0\]\.padding/,
  );
  rejects(
    () => new Network(withLayer(7, { type: 'linear', out: 5, bias: 'no' })),
    /layers\[7\]\.bias/,
  );
  rejects(
    () => new Network(withLayer(7, { type: 'linear', out: 5, size: 3 })),
    /layers\[7\]\.size/,
  );
  rejects(() => new Network(withLayer(5, { type: 'dropout', p: 1.5 })), /layers\[5\]\.p/);
  rejects(
    () => new Network(withLayer(3, { type: 'maxpool2d', kernel: 9 })),
    /layers\[3\]: a 9x9 pool/,
  );
  rejects(
    () => new Network(withLayer(6, { type: 'relu' })),
    /layers\[7\]: linear needs a flat input/,
  );
  rejects(
    () => new Network(withLayer(8, { type: 'batchnorm2d' })),
    /layers\[8\]: batchnorm2d needs/,
  );
  rejects(() => new Network({ ...everyLayer(), classes: 4 }), /must end in 4 class scores/);
  rejects(() => new Network({ ...everyLayer(), input: [2, 6] as never }), /network\.input/);
  rejects(() => new Network({ ...everyLayer(), layers: [] }), /network\.layers/);
  rejects(() => new Network(everyLayer(), { seed: -1 }), /for seed/);
  rejects(() => new Network(everyLayer(), { dtype: 'float16' as never }), /for dtype/);
});

test('index arrays out of range or of the wrong type are rejected', () => {
  const data = randomDataset(10, [2, 6, 6], 3);
  const net = new Network(everyLayer());
  rejects(() => net.gradient(data, Int32Array.of(0, 10)), /index 10 at position 1 is outside/);
  rejects(() => net.evaluate(data, Int32Array.of(-1)), /index -1 at position 0/);
  rejects(() => net.evaluate(data, new Int32Array(0)), /non-empty Int32Array for indices/);
  rejects(() => net.evaluate(data, [1, 2] as never), /Int32Array for indices/);
  rejects(() => net.evaluate(data, range(3), { chunk: 0 }), /for chunk/);
  rejects(() => net.evaluate(data, range(3), { mode: 'train' }), /for mode/);
  rejects(() => net.evaluate(data, range(3), { mode: 'eval' as never }), /for mode/);
});

test('wrong buffer sizes and element types are rejected', () => {
  const data = randomDataset(10, [2, 6, 6], 3);
  const net = new Network(everyLayer());
  const n = net.parameterCount;
  rejects(
    () => net.hessianVector(data, range(3), new Float32Array(n - 1), new Float32Array(n)),
    /for v/,
  );
  rejects(
    () => net.hessianVector(data, range(3), new Float32Array(n), new Float64Array(n)),
    /for out/,
  );
  const opt = new Optimizer(net, { kind: 'adam', lr: 1e-3 });
  rejects(
    () =>
      opt.setState({
        step: 1,
        tensors: { exp_avg: new Float32Array(3), exp_avg_sq: new Float32Array(n) },
      }),
    /optimizer state exp_avg/,
  );
  rejects(
    () => opt.setState({ step: 1, tensors: { momentum_buffer: new Float32Array(n) } }),
    /optimizer state/,
  );
  rejects(() => new Optimizer(net, { kind: 'adam', lr: -1 }), /for lr/);
  rejects(() => new Optimizer(net, { kind: 'rmsprop', lr: 1 } as never), /for optimizer/);
  rejects(() => new Optimizer(net, { kind: 'sgd', lr: 1, nesterov: true }), /nesterov/);
});

test('shape mismatches between network and data, and malformed datasets, are rejected', () => {
  const net = new Network(everyLayer());
  const wrongShape = randomDataset(4, [1, 6, 6], 3);
  rejects(
    () => net.evaluate(wrongShape, range(2)),
    /takes 2x6x6 inputs but dataset random has 1x6x6/,
  );
  const moreClasses = randomDataset(4, [2, 6, 6], 5);
  rejects(
    () => net.evaluate(moreClasses, range(2)),
    /has 3 outputs but dataset random has 5 classes/,
  );
  rejects(
    () =>
      new Dataset('d', 3, {
        pixels: new Uint8Array(10),
        labels: Int32Array.of(0, 1),
        shape: [1, 2, 2],
      }),
    /10 pixel bytes do not make 2 examples of 1x2x2/,
  );
  rejects(
    () =>
      new Dataset('d', 3, {
        pixels: new Uint8Array(8),
        labels: Int32Array.of(0, 3),
        shape: [1, 2, 2],
      }),
    /label 3 of example 1 is outside \[0, 3\)/,
  );
  const data = randomDataset(4, [2, 6, 6], 3);
  rejects(() => data.standardise({ mean: [0], std: [1, 1] }), /for mean/);
  rejects(() => data.standardise({ mean: [0, 0], std: [1, 0] }), /for std/);
});
