/** The study's networks: parameter counts against closed forms, output shapes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveNetwork } from '../src/engine/layers';
import { NETWORKS, networkSpec } from '../src/models';

// Linear without bias: in*out; BN: 2*features; conv: in*out*k*k.
const f1Count = 784 * 512 + 4 * 512 * 512 + 5 * 2 * 512 + (512 * 10 + 10);
// C1: two 5x5 convs, pools 32 -> 16 -> 8, so 64*8*8 = 4096 flat features.
const c1Count = (classes: number) =>
  3 * 64 * 25 +
  2 * 64 +
  64 * 64 * 25 +
  2 * 64 +
  4096 * 384 +
  2 * 384 +
  384 * 192 +
  2 * 192 +
  192 * classes +
  classes;
// C2: 13 3x3 convs; 5 pools take 32 -> 1, so 512 flat features.
const convs = [3, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512];
let c2Convs = 0;
for (let i = 1; i < convs.length; i++) c2Convs += convs[i - 1]! * convs[i]! * 9 + 2 * convs[i]!;
const c2Count = (classes: number) => c2Convs + 512 * 512 + 2 * 512 + 512 * classes + classes;

test('parameter counts match the closed forms', () => {
  const expected: Record<string, number> = {
    F1: f1Count,
    C1: c1Count(10),
    C3: c1Count(100),
    C2: c2Count(10),
    C4: c2Count(100),
  };
  for (const [name, make] of Object.entries(NETWORKS))
    assert.equal(resolveNetwork(make()).parameterCount, expected[name], name);
});

test('networks take the right inputs and end in class scores', () => {
  assert.deepEqual(resolveNetwork(networkSpec('F1')).layers.at(-1)!.shape, [10]);
  assert.deepEqual(networkSpec('f1').input, [1, 28, 28]);
  assert.deepEqual(resolveNetwork(networkSpec('C3')).layers.at(-1)!.shape, [100]);
  assert.equal(
    resolveNetwork(networkSpec('C2')).layers.filter((l) => l.type === 'conv2d').length,
    13,
  );
  // no layer followed by batch norm carries a bias
  for (const make of Object.values(NETWORKS)) {
    const layers = make().layers;
    layers.forEach((l, i) => {
      if (layers[i + 1]?.type.startsWith('batchnorm'))
        assert.equal((l as { bias?: boolean }).bias, false);
    });
  }
  assert.throws(() => networkSpec('F9'), /Expected one of F1, C1, C2, C3, C4/);
});
