/**
 * Which PyTorch settings the bench times in which round (src/bench/setting-rounds.ts), fed
 * made-up timings: nothing is timed here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  KEEP_FACTOR,
  SettingRounds,
  STOP_FACTOR,
  STOP_SLACK_MS,
} from '../../src/bench/setting-rounds';

// the bench's CPU order: 2 threads, 1 thread, PyTorch's defaults
const [TWO, ONE, DEFAULTS] = [0, 1, 2];

test('the first round: every setting, the later ones under a limit from the best before them', () => {
  const r = new SettingRounds(3);
  assert.equal(r.runs(TWO, 0) && r.runs(ONE, 0) && r.runs(DEFAULTS, 0), true);
  assert.equal(r.limitMs(TWO, 0), null, 'the first setting runs without a limit');
  r.record(TWO, { ms: [35000, 36000, 34000] });
  assert.equal(r.limitMs(ONE, 0), STOP_FACTOR * 35000);
  r.record(ONE, { ms: [30000] });
  // the best before the defaults is now 1 thread's 30 s
  assert.equal(r.limitMs(DEFAULTS, 0), STOP_FACTOR * 30000);
  // a short workload: the slack, not the factor
  const short = new SettingRounds(2);
  short.record(0, { ms: [5, 6, 5] });
  assert.equal(short.limitMs(1, 0), 5 + STOP_SLACK_MS);
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
    assert.equal(r.limitMs(ONE, round), null, 'later rounds run without a limit');
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
