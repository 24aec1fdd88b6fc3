/**
 * Which PyTorch settings the bench times in which round (src/bench/setting-rounds.ts), fed
 * made-up timings: nothing is timed here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  rowSettings,
  GRACE_FRACTION,
  KEEP_FACTOR,
  SettingRounds,
  STOP_FACTOR,
  STOP_SLACK_MS,
} from '../../src/bench/setting-rounds';

// the bench's CPU order: 2 threads, 1 thread, PyTorch's defaults
const [TWO, ONE, DEFAULTS] = [0, 1, 2];

test('the first round: every setting, each after the first paced by the best run before it', () => {
  const r = new SettingRounds(3);
  assert.equal(r.runs(TWO, 0) && r.runs(ONE, 0) && r.runs(DEFAULTS, 0), true);
  assert.equal(r.pace(TWO, 0), null, 'the first setting runs without a pace');
  // a warm-up whose first chunk regrew the heap (25 s), then a timed run; each run's time at
  // the end of each chunk
  r.record(TWO, {
    ms: [35000],
    ticksMs: [
      [28000, 31500, 35100, 35200],
      [3500, 7000, 35000],
    ],
  });
  // the same run at the same chunk, times STOP_FACTOR, plus a tenth of that run's time
  assert.deepEqual(r.pace(ONE, 0), {
    paceMs: [
      [1.25 * 28000 + 3520, 1.25 * 31500 + 3520, 1.25 * 35100 + 3520, 1.25 * 35200 + 3520],
      [1.25 * 3500 + 3500, 1.25 * 7000 + 3500, 1.25 * 35000 + 3500],
    ],
  });
  r.record(ONE, { ms: [30000], ticksMs: [[30000]] });
  // the best before the defaults is now 1 thread's 30 s
  assert.deepEqual(r.pace(DEFAULTS, 0), { paceMs: [[1.25 * 30000 + 3000]] });
  // a short workload: the slack, not the fraction
  const short = new SettingRounds(2);
  short.record(0, { ms: [5, 6, 5], ticksMs: [[9], [5], [6], [5]] });
  assert.deepEqual(short.pace(1, 0), {
    paceMs: [[1.25 * 9 + 1000], [1.25 * 5 + 1000], [1.25 * 6 + 1000], [1.25 * 5 + 1000]],
  });
  // a setting stopped could not have been the best, nor would it be timed in a later round
  assert.deepEqual([STOP_FACTOR, GRACE_FRACTION, STOP_SLACK_MS], [KEEP_FACTOR, 0.1, 1000]);
});

test('the defaults, stopped in the first round, are not timed again; they show as at least', () => {
  const r = new SettingRounds(3);
  r.record(TWO, { ms: [3000, 3100] });
  r.record(ONE, { ms: [3300, 3400] }); // within KEEP_FACTOR: competes
  r.record(DEFAULTS, { stoppedAtMs: 6100 });
  for (const round of [1, 2]) {
    assert.equal(r.runs(TWO, round), true);
    assert.equal(r.runs(ONE, round), true);
    assert.equal(r.runs(DEFAULTS, round), false);
    assert.equal(r.pace(ONE, round), null, 'later rounds run without a pace');
  }
  r.record(TWO, { ms: [2900] });
  r.record(ONE, { ms: [3500] });
  assert.deepEqual(r.summary(TWO), { medianMs: 3000, atLeastMs: null, rounds: 2, timings: 3 });
  assert.deepEqual(r.summary(ONE), { medianMs: 3400, atLeastMs: null, rounds: 2, timings: 3 });
  assert.deepEqual(r.summary(DEFAULTS), {
    medianMs: null,
    atLeastMs: 6100,
    rounds: 1,
    timings: 0,
  });
});

test('after the first round only the settings within KEEP_FACTOR of the best compete', () => {
  const r = new SettingRounds(3);
  r.record(TWO, { ms: [1000] });
  r.record(ONE, { ms: [1000 * KEEP_FACTOR + 1] }); // slower: timed once
  r.record(DEFAULTS, { ms: [900] }); // PyTorch's defaults the best: they compete
  assert.equal(r.runs(TWO, 1), true, 'within KEEP_FACTOR of the defaults');
  assert.equal(r.runs(ONE, 1), false);
  assert.equal(r.runs(DEFAULTS, 1), true);
});

test("a row: the network's fastest setting first; one stopped on an earlier row left out", () => {
  const settings = [{ label: '2 threads' }, { label: '1 thread' }, { label: 'defaults' }];
  const labels = (r: { timed: { label: string }[] }) => r.timed.map((s) => s.label);
  // the network's first row: every setting, in their order
  assert.deepEqual(rowSettings(settings, undefined), { timed: settings, left: [] });
  // F1: 1 thread was the fastest
  assert.deepEqual(labels(rowSettings(settings, { fastest: ['1 thread'], stopped: new Map() })), [
    '1 thread',
    '2 threads',
    'defaults',
  ]);
  // F1's rows: 1 thread fastest on three, 2 threads on the last (the Hessian-vector product):
  // 1 thread first, so that 2 threads, twice as slow on the Experiment B point, is paced by it
  const f1 = ['1 thread', '1 thread', '1 thread', '2 threads'];
  assert.deepEqual(labels(rowSettings(settings, { fastest: f1, stopped: new Map() })), [
    '1 thread',
    '2 threads',
    'defaults',
  ]);
  // a tie: the one fastest latest
  const tie = ['2 threads', '1 thread'];
  assert.deepEqual(labels(rowSettings(settings, { fastest: tie, stopped: new Map() })), [
    '1 thread',
    '2 threads',
    'defaults',
  ]);
  assert.deepEqual(
    labels(rowSettings(settings, { fastest: [...tie].reverse(), stopped: new Map() })),
    ['2 threads', '1 thread', 'defaults'],
  );
  // C1: 1 thread and the defaults were stopped on its first row; both are left out of its later
  // rows (the defaults' column names the row that stopped them)
  const c1 = {
    fastest: ['2 threads'],
    stopped: new Map([
      ['1 thread', 'C1 step B=256'],
      ['defaults', 'C1 step B=256'],
    ]),
  };
  assert.deepEqual(rowSettings(settings, c1), {
    timed: [settings[0]],
    left: [
      { label: '1 thread', stoppedOn: 'C1 step B=256' },
      { label: 'defaults', stoppedOn: 'C1 step B=256' },
    ],
  });
});
