/**
 * The bench's rounds: a workload's repeats split between at most 3 alternated rounds, every
 * repeat timed once (the counts sum to the repeats) and the rounds as even as integers allow.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchTable, roundRepeats, workloads } from '../../src/bench/run';

test('repeats split evenly between at most 3 rounds', () => {
  assert.deepEqual(roundRepeats(1), [1]);
  assert.deepEqual(roundRepeats(2), [1, 1]);
  assert.deepEqual(roundRepeats(7), [3, 2, 2]);
  assert.deepEqual(roundRepeats(9), [3, 3, 3]);
  for (let repeats = 1; repeats <= 50; repeats++) {
    const rounds = roundRepeats(repeats);
    assert.equal(rounds.length, Math.min(3, repeats), `${repeats}`);
    assert.equal(
      rounds.reduce((a, b) => a + b, 0),
      repeats,
      `${repeats}`,
    );
    assert.ok(Math.max(...rounds) - Math.min(...rounds) <= 1, `${repeats}: ${rounds}`);
  }
});

test('a workload whose batches each regrow a large heap is timed in one round, once a side', () => {
  assert.deepEqual(roundRepeats(3, 1), [3]);
  const rounds = (id: string) => {
    const w = workloads(false).find((x) => x.id === id)!;
    return roundRepeats(w.repeats, w.rounds);
  };
  assert.deepEqual(rounds('C1 step B=5000'), [3]);
  assert.deepEqual(rounds('C1 population gradient N=5000'), [3]);
  // after 2 untimed runs: the heap still grows in a process's second run
  for (const id of ['C1 step B=5000', 'C1 population gradient N=5000'])
    assert.equal(workloads(false).find((x) => x.id === id)!.warmUpRuns, 2, id);
  assert.deepEqual(rounds('C1 step B=256'), [3, 2, 2], 'a small heap: alternated rounds');
  // one run of many chunks: one round of one run, its first chunk regrowing the heap
  for (const id of [
    'C1 population gradient N=50000 (chunks of 5000)',
    'F1 Experiment B point K=100 B=256,1000,2000,5000 nested',
    'C1 Experiment B point K=3 B=256,1000,2000,5000 nested',
  ])
    assert.deepEqual(rounds(id), [1], id);
  // K = 3 draws timed after an untimed run has grown the heap, as a study's draws run
  const draws = workloads(false).find((x) => x.id === 'C1 Experiment B point K=3 B=5000')!;
  assert.deepEqual([roundRepeats(draws.repeats, draws.rounds), draws.warmUp ?? true], [[1], true]);
});

test("PyTorch's defaults left out of a row show the row that stopped them", () => {
  const peak = { gflops: 300, what: 'a product', gflop: 3, ms: 10 };
  const row = {
    id: 'C1 step B=5000',
    gradscopeMs: 3700,
    gradscopeThreads: null,
    pytorchDefaultMs: null,
    pytorchDefaultAtLeastMs: null,
    pytorchBestMs: 3800,
    pytorchBestSetting: '2 threads',
    pytorchSettings: [
      { label: '2 threads', medianMs: 3800, atLeastMs: null, rounds: 1, timings: 3 },
      {
        label: 'defaults',
        medianMs: null,
        atLeastMs: null,
        rounds: 0,
        timings: 0,
        notTimed: 'stopped on C1 step B=256',
      },
    ],
    gflop: { gradscope: 934, pytorch: 934 },
    gflops: { gradscope: 252, pytorch: 246 },
  };
  assert.match(
    benchTable([row], peak),
    /\| C1 step B=5000 \| 3700\.0 \| stopped on C1 step B=256 \| 3800\.0 \| 0\.97 \| - \| 2 threads \|/,
  );
});
