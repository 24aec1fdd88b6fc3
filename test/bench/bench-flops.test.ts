/**
 * The bench's arithmetic counts (src/bench/flops.ts) against hand computations from F1's,
 * C1's and the GPT's layer shapes (src/models/f1.ts, src/models/c1.ts, src/models/gpt.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exampleFlops, workloadGflop } from '../../src/bench/flops';
import { workloads } from '../../src/bench/run';
import { c1 } from '../../src/models/c1';
import { f1 } from '../../src/models/f1';
import { DEFAULT_GPT, gpt } from '../../src/models/gpt';
import { Network } from '../../src/engine/network';

// F1: 784 -> 512 (first layer, reads the input), four 512 -> 512, 512 -> 10
const F1_FIRST = 2 * 784 * 512; // 802 816
const F1_FORWARD = F1_FIRST + 4 * (2 * 512 * 512) + 2 * 512 * 10; // 2 910 208
const F1_BACKWARD = 2 * F1_FORWARD - F1_FIRST; // 5 017 600

// C1: conv 5x5 3 -> 64 at 32x32 ("same"), max pool 3x3/2 pad 1 to 16x16, conv 5x5 64 -> 64 at
// 16x16, pool to 8x8, flatten 4096, Linear 4096 -> 384 -> 192 -> 10
const C1_FIRST = 2 * 32 * 32 * 64 * 3 * 5 * 5; // 9 830 400
const C1_FORWARD =
  C1_FIRST + 2 * 16 * 16 * 64 * 64 * 5 * 5 + 2 * 4096 * 384 + 2 * 384 * 192 + 2 * 192 * 10;
const C1_BACKWARD = 2 * C1_FORWARD - C1_FIRST;

test('forward and backward FLOP per example: F1 and C1 by hand', () => {
  assert.deepEqual(exampleFlops(f1()), { forward: 2910208, backward: 5017600 });
  assert.deepEqual(exampleFlops(f1()), { forward: F1_FORWARD, backward: F1_BACKWARD });
  assert.deepEqual(exampleFlops(c1()), { forward: 65556224, backward: C1_BACKWARD });
  assert.equal(C1_FORWARD, 65556224);
});

const row = (id: string) => {
  const w = workloads(false).find((x) => x.id === id);
  assert.ok(w, id);
  return w;
};

test('GFLOP of the bench rows: steps, gradients, Hessian-vector products, Experiment B', () => {
  const close = (actual: number, expected: number, what: string) =>
    assert.ok(Math.abs(actual - expected) <= 1e-9 * expected, `${what}: ${actual} != ${expected}`);
  const f1Pass = F1_FORWARD + F1_BACKWARD;
  const c1Pass = C1_FORWARD + C1_BACKWARD;
  close(workloadGflop(row('F1 step B=256'), false), (256 * f1Pass) / 1e9, 'F1 step');
  close(
    workloadGflop(row('C1 population gradient N=50000 (chunks of 5000)'), false),
    (50000 * c1Pass) / 1e9,
    'C1 g_train',
  );
  close(
    workloadGflop(row('F1 Hessian-vector product N=5000'), false),
    (5000 * 2 * f1Pass) / 1e9,
    'F1 H v',
  );
  close(
    workloadGflop(row('C1 Experiment B point K=3 B=5000'), false),
    (3 * 5000 * c1Pass) / 1e9,
    'C1 draws',
  );
  // a study's point: g_train over 60 000 and g_test over 10 000, then 100 draws of 5000
  const point = row('F1 Experiment B point K=100 B=256,1000,2000,5000 nested');
  close(
    workloadGflop(point, false),
    (70000 * f1Pass + 100 * 5000 * f1Pass) / 1e9,
    'F1 point, recomputed',
  );
  // with layer signals a draw is the weight-gradient products alone: one forward's arithmetic
  close(
    workloadGflop(point, true),
    (70000 * f1Pass + 100 * 5000 * F1_FORWARD) / 1e9,
    'F1 point, layer signals',
  );
  close(
    workloadGflop(row('C1 Experiment B point K=3 B=256,1000,2000,5000 nested'), false),
    (60000 * c1Pass + 3 * 5000 * c1Pass) / 1e9,
    'C1 point, recomputed',
  );
});

/** 2 m k n: the multiply-adds of one [m, k] x [k, n] product. */
const product = (m: number, k: number, n: number) => 2 * m * k * n;

test('a GPT window: every matrix product of nanoGPT forward counted by hand, backward twice it', () => {
  // 2 blocks, 2 heads of 4 features (width 8), windows of 5 tokens, vocabulary 11
  const tiny = { vocabulary: 11, context: 5, layers: 2, heads: 2, width: 8 };
  const t = 5;
  const block =
    product(t, 8, 24) + // c_attn: q, k, v
    2 * product(t, 4, t) + // each head's scores q k^T: the whole 5 x 5 square
    2 * product(t, t, 4) + // each head's attention-weighted sum of v
    product(t, 8, 8) + // attn.c_proj
    product(t, 8, 32) + // mlp.c_fc
    product(t, 32, 8); // mlp.c_proj
  const forward = 2 * block + product(t, 8, 11); // the tied head
  assert.equal(forward, 17_840);
  // the token ids reach the blocks through lookups: every product's data gradient is computed
  assert.deepEqual(exampleFlops(gpt(tiny)), { forward, backward: 2 * forward });
});

test("GPT step B=64: 64 windows of the built-in GPT, nanoGPT's 6 N + 12 L T C a token", () => {
  const w = row('GPT step B=64');
  assert.equal(w.batch, 64);
  assert.deepEqual(w.network, gpt(DEFAULT_GPT));
  const { vocabulary: v, context: t, layers: l, width: c } = DEFAULT_GPT;
  // N: the parameters of the matrix products (the blocks' Linear weights and the tied head),
  // the network's parameters less the position embedding, layer norms and biases
  const n = new Network(gpt(), { seed: 0 }).parameterCount - t * c - l * 13 * c - 2 * c;
  assert.equal(n, 12 * l * c * c + v * c);
  const perToken = 6 * n + 12 * l * t * c;
  const expected = (64 * t * perToken) / 1e9;
  assert.ok(Math.abs(workloadGflop(w, false) - expected) <= 1e-12 * expected);
  assert.ok(Math.abs(expected - 21.743271936) < 1e-9);
});
