/**
 * The bench's rounds: a workload's repeats split between at most 3 alternated rounds, every
 * repeat timed once (the counts sum to the repeats) and the rounds as even as integers allow.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roundRepeats } from '../../src/bench/run';

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
