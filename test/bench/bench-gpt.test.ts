/**
 * The bench's GPT row (issue 30): `gradscope bench` times a training step of the built-in GPT
 * against nanoGPT's model in bench/pytorch_bench.py. Both sides run the same workload: the
 * PyTorch session is asked for the GPT of the row's sizes and batch (bench/pytorch_bench.py's
 * nanoGPT is the one test/python/nanogpt.py imports, which test/models/gpt.test.ts checks against
 * gradscope's loss, gradient and Hessian-vector product at the same weights);
 * `bench --quick --only GPT` runs the row on both sides with its arithmetic.
 * No timing is asserted (performance claims live in the bench).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { workloadGflop } from '../../src/bench/flops';
import { gptSizes, sessionConfig } from '../../src/bench/pytorch';
import { workloads } from '../../src/bench/run';
import { f1 } from '../../src/models/f1';
import { DEFAULT_GPT, gpt } from '../../src/models/gpt';
import { gradscope } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { torchMissing } from '../fixtures/torchscript-fixtures';

const SETTINGS = { label: '1 thread', threads: 1, channelsLast: false, env: {} };

test('the GPT row asks PyTorch for nanoGPT of the built-in GPT sizes on 64 windows', () => {
  const w = workloads(false).find((x) => x.id === 'GPT step B=64');
  assert.ok(w, 'GPT step B=64 is a bench row');
  assert.deepEqual(sessionConfig(w, SETTINGS, 'cpu'), {
    networks: {
      GPT: {
        gpt: { vocabulary: 256, context: 64, layers: 4, heads: 4, width: 128, bias: true },
      },
    },
    settings: { threads: 1, channels_last: false, device: 'cpu' },
    workload: { id: 'GPT step B=64', network: 'GPT', kind: 'step', batch: 64 },
  });
  assert.deepEqual(gptSizes(gpt(DEFAULT_GPT)), { ...DEFAULT_GPT, bias: true });
  // only a list that is a GPT of src/models/gpt.ts is built as nanoGPT
  assert.equal(gptSizes(f1()), null);
  const noFinalNorm = gpt(DEFAULT_GPT);
  noFinalNorm.layers.splice(noFinalNorm.layers.length - 2, 1);
  assert.equal(gptSizes(noFinalNorm), null);
  assert.throws(
    () => sessionConfig({ ...w, network: noFinalNorm }, SETTINGS, 'cpu'),
    /not a GPT of src\/models\/gpt.ts/,
  );
});

test('bench --quick --only GPT: a GPT training step on both sides, with its GFLOP', (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const dir = tempDir('gradscope-bench-gpt-');
  const out = path.join(dir, 'results.json');
  const r = gradscope('bench', '--quick', '--only', 'GPT', '--out', out, '--quiet');
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(fs.readFileSync(out, 'utf8')) as {
    rows: {
      id: string;
      gradscopeMs: number;
      pytorchBestMs: number | null;
      gflop: { gradscope: number; pytorch: number };
    }[];
  };
  assert.deepEqual(
    results.rows.map((row) => row.id),
    ['GPT step B=4'],
  );
  const [row] = results.rows;
  assert.ok(row!.gradscopeMs > 0);
  // PyTorch ran nanoGPT (a failure to build it fails the bench)
  assert.ok(row!.pytorchBestMs !== null && row!.pytorchBestMs > 0);
  // 4 windows of 64 tokens, 3 x 113 246 208 FLOP a window (bench-flops.test.ts counts it)
  const expected = (4 * 3 * 113_246_208) / 1e9;
  const w = workloads(true).find((x) => x.id === 'GPT step B=4')!;
  const counted = workloadGflop(w, false);
  assert.ok(Math.abs(counted - expected) <= 1e-12 * expected);
  assert.deepEqual(row!.gflop, { gradscope: counted, pytorch: counted });
  assert.match(r.stdout, /\| GPT step B=4 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
});
