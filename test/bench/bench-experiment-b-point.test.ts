/**
 * The bench's Experiment B point rows (issue 28, items 5 and 6) and PyTorch's stopped settings
 * (item 8): `gradscope bench --quick --only nested` runs a study's point on F1 and C1 at tiny
 * sizes on both sides, each row with its arithmetic (GFLOP) and rates beside the machine's
 * matrix-multiply peak; a PyTorch session under a limit stops its run as soon as it falls
 * behind the limit's pace, within a chunk too, and says where.
 * No timing is asserted (performance claims live in the bench).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { PyTorchSession } from '../../src/bench/pytorch';
import { workloads } from '../../src/bench/run';
import { gradscope } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { pythonHas } from '../fixtures/python-has';

const python = process.env.GRADSCOPE_PYTHON ?? '/usr/bin/python3';
const torchMissing = !pythonHas(python, 'torch')
  ? `PyTorch is not importable from ${python}`
  : undefined;

interface Row {
  id: string;
  gradscopeMs: number;
  pytorchBestMs: number | null;
  pytorchSettings: { label: string; rounds: number }[];
  gflop: { gradscope: number; pytorch: number };
  gflops: { gradscope: number; pytorch: number | null };
  layerSignals?: boolean;
}

test('bench --quick --only nested: the Experiment B point rows with GFLOP and rates beside the peak', () => {
  const dir = tempDir('gradscope-bench-point-');
  const out = path.join(dir, 'results.json');
  const r = gradscope('bench', '--quick', '--only', 'nested', '--out', out, '--quiet');
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(fs.readFileSync(out, 'utf8')) as {
    peak: { gflops: number; what: string };
    rows: Row[];
  };
  assert.deepEqual(
    results.rows.map((row) => row.id),
    ['F1 Experiment B point K=2 B=16,32,64 nested', 'C1 Experiment B point K=1 B=8,16 nested'],
  );
  assert.ok(results.peak.gflops > 0);
  assert.match(results.peak.what, /^float32 Linear 1024 -> 1024 forward at batch 256/);
  for (const row of results.rows) {
    assert.ok(row.gradscopeMs > 0, row.id);
    // tiny sets: their layer signals fit, and the draws are the weight-gradient products alone
    assert.equal(row.layerSignals, true, row.id);
    assert.ok(row.gflop.gradscope > 0 && row.gflop.gradscope < row.gflop.pytorch, row.id);
    assert.ok(
      Math.abs(row.gflops.gradscope - row.gflop.gradscope / (row.gradscopeMs / 1000)) < 1e-9,
    );
    if (!torchMissing) {
      assert.ok(row.pytorchBestMs !== null && row.pytorchBestMs > 0, row.id);
      assert.ok(row.gflops.pytorch !== null && row.gflops.pytorch > 0, row.id);
      assert.deepEqual(
        row.pytorchSettings.map((s) => s.rounds),
        [1, 1, 1],
        'one run, one round each',
      );
    }
  }
  assert.match(r.stdout, /^matrix-multiply peak: [\d.]+ GFLOP\/s \(float32 Linear/m);
  assert.match(
    r.stdout,
    /\| GFLOP gradscope \| GFLOP PyTorch \| gradscope GFLOP\/s \| PyTorch best GFLOP\/s \|\n/,
  );
  assert.match(
    r.stdout,
    /\| F1 Experiment B point K=2 B=16,32,64 nested \| [\d.]+ \|.*\| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.-]+ \|\n/,
  );
});

test(
  'a PyTorch session times each chunk; under a limit it stops its run and answers where',
  { skip: torchMissing },
  async () => {
    const w = workloads(true).find((x) => x.id === 'C1 Experiment B point K=1 B=8,16 nested')!;
    const settings = { label: 'defaults', threads: 1, channelsLast: false, env: {} };
    const session = await PyTorchSession.start(python, w, settings);
    try {
      // without a pace a batch is timed in full, with each run's time at the end of each chunk
      // (16 + 16 examples and one draw's 8 + 8, chunks of 16; then the run's end)
      const timed = await session.time(1, { warmUp: false });
      assert.ok('ms' in timed && timed.ms.length === 1 && timed.ms[0]! > 0, JSON.stringify(timed));
      assert.equal(timed.ticksMs?.length, 1);
      const ticks = timed.ticksMs![0]!;
      assert.equal(ticks.length, 1 + 1 + 2 + 1, JSON.stringify(ticks));
      assert.ok(ticks.every((t, k) => t > 0 && (k === 0 || t >= ticks[k - 1]!)));
      assert.ok(Math.abs(ticks[ticks.length - 1]! - timed.ms[0]!) < 50);
      // a pace the first chunk cannot keep (an allowance of 0.001 ms), then a minute a chunk
      const stopped = await session.time(2, {
        warmUp: true,
        pace: { paceMs: [[0.001, 60000]] },
      });
      assert.deepEqual(stopped, { stoppedAtMs: 0.001 });
    } finally {
      session.close();
    }
  },
);

test(
  "a run is stopped within a chunk at that chunk's allowance, not at its end's",
  { skip: torchMissing },
  async () => {
    // two chunks of 256 C1 examples: the first allowed 50 ms (it takes longer), the run a minute;
    // stopped at the first chunk's 50 ms, not when that chunk ends, nor at the minute
    const w = {
      ...workloads(true).find((x) => x.id === 'C1 step B=16')!,
      kind: 'population-gradient' as const,
      batch: 512,
      chunk: 256,
    };
    const settings = { label: 'defaults', threads: 1, channelsLast: false, env: {} };
    const session = await PyTorchSession.start(python, w, settings);
    try {
      const stopped = await session.time(1, {
        warmUp: false,
        pace: { paceMs: [[50, 60000, 60000]] },
      });
      assert.deepEqual(stopped, { stoppedAtMs: 50 });
      // a run stopped within a chunk ends the process: the setting is never timed again
      await assert.rejects(session.time(1, { warmUp: false }), /PyTorch bench failed/);
    } finally {
      session.close();
    }
  },
);

test(
  'a run of one chunk is stopped at the limit itself, not when the chunk ends',
  { skip: torchMissing },
  async () => {
    // a training step is one chunk: no check between chunks can stop it
    const w = { ...workloads(true).find((x) => x.id === 'C1 step B=16')!, batch: 512 };
    const settings = { label: 'defaults', threads: 1, channelsLast: false, env: {} };
    const session = await PyTorchSession.start(python, w, settings);
    try {
      const stopped = await session.time(1, { warmUp: true, pace: { paceMs: [[1]] } });
      assert.deepEqual(stopped, { stoppedAtMs: 1 });
    } finally {
      session.close();
    }
  },
);
