/**
 * The convergence rule on the moving average of test accuracy, on synthetic noisy
 * series: it stops where the smoothed curve stops improving, not at the first noisy
 * dip; a curve that keeps improving never converges; the branch epoch is the one
 * that triggered or the best average's, as asked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeEpoch, type Convergence, type ConvergenceState } from '../../src/train/convergence';
import { random } from '../fixtures/helpers';

/** Runs the rule over a series; the epoch (1-based) at which it fires, and where it branches. */
function run(rule: Convergence, series: number[]) {
  let state: ConvergenceState = { bestTestAccuracy: -1, epochsSinceBest: 0 };
  for (let e = 1; e <= series.length; e++) {
    const j = judgeEpoch(rule, state, e, series[e - 1]!);
    state = j.state;
    if (j.converged) return { epoch: e, branch: j.branchEpoch!, state };
  }
  return undefined;
}

/** Rises by 0.1 point an epoch until epoch 25, then flat: a test-accuracy curve that has
 * converged by epoch 25 and not before. */
const truth = (e: number) => 0.96 + 0.001 * Math.min(e, 25);

test('a noise spike: the plain rule fires at the dip after it, the smoothed one after the knee', () => {
  // +-0.3 points alternating noise and one spike of +1.2 points at epoch 4, as MNIST gives
  const series = Array.from({ length: 60 }, (_, i) => {
    const e = i + 1;
    return truth(e) + 0.003 * (e % 2 ? -1 : 1) + (e === 4 ? 0.012 : 0);
  });
  const plain = run({ patience: 5, threshold: 0.0005, window: 1 }, series);
  const smoothed = run({ patience: 5, threshold: 0.0005, window: 5 }, series);
  assert.equal(plain?.epoch, 9); // the spike at 4, then five epochs that do not beat it
  assert.ok(smoothed, 'the smoothed rule fires');
  // the curve rises until 25; its 5-epoch average until 29; patience 5 after that
  assert.ok(smoothed.epoch >= 26 && smoothed.epoch <= 36, `fired at ${smoothed.epoch}`);
});

test('uniform noise of +-0.4 points, ten seeds: the smoothed rule fires after the knee every time', () => {
  let plainEarly = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const u = random(seed);
    const series = Array.from({ length: 60 }, (_, i) => truth(i + 1) + 0.004 * (2 * u() - 1));
    const plain = run({ patience: 5, threshold: 0.0005, window: 1 }, series);
    const smoothed = run({ patience: 5, threshold: 0.0005, window: 5 }, series);
    assert.ok(smoothed, `seed ${seed}: converged`);
    assert.ok(smoothed.epoch >= 26 && smoothed.epoch <= 45, `seed ${seed}: ${smoothed.epoch}`);
    if (plain && plain.epoch < 20) plainEarly += 1;
  }
  assert.ok(plainEarly >= 1, 'the plain rule fired before the knee on some seed');
});

test('a curve that keeps improving never converges', () => {
  const u = random(7);
  const rising = Array.from({ length: 60 }, (_, i) => 0.5 + 0.008 * i + 0.004 * (2 * u() - 1));
  assert.equal(run({ patience: 5, threshold: 0.0005, window: 5 }, rising), undefined);
});

test('branch at the end of the triggering window, or at the best average', () => {
  // flat after a peak: averages of 5 rise until epoch 7, then fall
  const series = [0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9];
  const end = run({ patience: 3, threshold: 0, window: 5, branch: 'end' }, series)!;
  const best = run({ patience: 3, threshold: 0, window: 5, branch: 'best' }, series)!;
  assert.equal(end.epoch, 10);
  assert.equal(end.branch, 10);
  assert.equal(best.epoch, 10);
  assert.equal(best.branch, 7);
  assert.ok(Math.abs(best.state.bestTestAccuracy - (0.93 + 0.94 + 0.95 + 0.96 + 0.92) / 5) < 1e-12);
});
