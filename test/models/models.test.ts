/** The study's networks: parameter counts against closed forms, output shapes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveNetwork, type LayerSpec } from '../../src/engine/layers';
import { NETWORKS, networkSpec, torchScriptFile } from '../../src/models';
import { gpt } from '../../src/models/gpt';

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

/** He et al.'s CIFAR ResNet with n basic blocks a stage: conv, BN, blocks of two 3x3 convs
 * with BN, a 1x1 projection with BN where the width changes (none without shortcuts), FC. */
function resnetCount(n: number, shortcuts: boolean): number {
  let count = 3 * 16 * 9 + 2 * 16;
  let from = 16;
  for (const w of [16, 32, 64])
    for (let b = 0; b < n; b++) {
      count += from * w * 9 + 2 * w + w * w * 9 + 2 * w;
      if (shortcuts && from !== w) count += from * w + 2 * w;
      from = w;
    }
  return count + 64 * 10 + 10;
}

/** WRN-16-4: conv 16, 2 pre-activation blocks a stage (BN, conv, BN, conv; a 1x1
 * projection where the width changes), final BN, FC. */
function wrnCount(): number {
  let count = 3 * 16 * 9;
  let from = 16;
  for (const w of [64, 128, 256])
    for (let b = 0; b < 2; b++) {
      count += 2 * from + from * w * 9 + 2 * w + w * w * 9;
      if (from !== w) count += from * w;
      from = w;
    }
  return count + 2 * 256 + 256 * 10 + 10;
}

test('parameter counts match the closed forms', () => {
  const expected: Record<string, number> = {
    F1: f1Count,
    C1: c1Count(10),
    C3: c1Count(100),
    C2: c2Count(10),
    C4: c2Count(100),
    RESNET20: resnetCount(3, true),
    RESNET56: resnetCount(9, true),
    'RESNET56-NOSHORT': resnetCount(9, false),
    'WRN16-4': wrnCount(),
    // nanoGPT with biases: wte V x C, wpe T x C, per block 12 C^2 + 13 C, ln_f 2 C (head tied)
    GPT: 256 * 128 + 64 * 128 + 4 * (12 * 128 ** 2 + 13 * 128) + 2 * 128,
  };
  // GPT-2 small's 124,439,808 parameters (V 50257, T 1024, 12 layers, 12 heads, width 768)
  assert.equal(
    resolveNetwork(gpt({ vocabulary: 50257, context: 1024, layers: 12, heads: 12, width: 768 }))
      .parameterCount,
    124439808,
  );
  // the papers' sizes: ResNet20 0.27M, ResNet56 0.85M, WRN-16-4 2.7M
  assert.equal(expected.RESNET20, 272474);
  assert.equal(Math.round(expected.RESNET56! / 1e4), 86);
  assert.equal(Math.round(expected['WRN16-4']! / 1e5), 27);
  for (const [name, make] of Object.entries(NETWORKS))
    assert.equal(resolveNetwork(make()).parameterCount, expected[name], name);
});

test('networks take the right inputs and end in class scores', () => {
  assert.deepEqual(resolveNetwork(networkSpec('F1')).layers.at(-1)!.shape, [10]);
  assert.deepEqual(networkSpec('f1').input, [1, 28, 28]);
  assert.deepEqual(resolveNetwork(networkSpec('C3')).layers.at(-1)!.shape, [100]);
  // a language model: next-token scores at each of its 64 positions
  assert.deepEqual(networkSpec('gpt').input, [1, 1, 64]);
  assert.deepEqual(resolveNetwork(networkSpec('GPT')).layers.at(-1)!.shape, [64, 256]);
  assert.equal(
    resolveNetwork(networkSpec('C2')).layers.filter((l) => l.type === 'conv2d').length,
    13,
  );
  // no layer followed by batch norm carries a bias
  // (inside residual blocks too)
  const noBiasBeforeBatchNorm = (layers: LayerSpec[]): void =>
    layers.forEach((l, i) => {
      if (l.type === 'residual') {
        noBiasBeforeBatchNorm(l.branch);
        if (Array.isArray(l.shortcut)) noBiasBeforeBatchNorm(l.shortcut);
      } else if (layers[i + 1]?.type.startsWith('batchnorm'))
        assert.equal((l as { bias?: boolean }).bias, false);
    });
  for (const make of Object.values(NETWORKS)) noBiasBeforeBatchNorm(make().layers);
  assert.throws(() => networkSpec('F9'), /Expected one of F1, C1, C2, C3, C4/);
});

test('torchScriptFile reads the module file of a TorchScript --network, with or without its context', () => {
  assert.equal(torchScriptFile('lm.pt:context=64'), 'lm.pt');
  assert.equal(torchScriptFile('dir/x.PTH:context=abc'), 'dir/x.PTH'); // the context is checked where used
  assert.equal(torchScriptFile('model.ts.pt'), 'model.ts.pt');
  assert.equal(torchScriptFile('F1'), null);
  assert.equal(torchScriptFile('GPT:context=32'), null);
  assert.equal(torchScriptFile('layers.json'), null);
  assert.equal(torchScriptFile('lm.pt:context'), null);
});
