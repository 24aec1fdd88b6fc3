/**
 * Merrill et al.'s definition on hand-made losses: B* is the largest batch size whose loss is
 * within the tolerance of the loss of every smaller one (not only of its neighbour), ties and
 * the tolerance's edge count as within, a diverged branch never qualifies, and the learning-rate
 * rules scale as the paper says.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  branchLearningRate,
  criticalBatchSize,
  PAPER_TOLERANCE,
  type BranchLoss,
} from '../../src/analysis/critical-batch-size';

const grid = [256, 512, 1000, 2000, 5000];
const branches = (losses: number[]): BranchLoss[] =>
  losses.map((loss, i) => ({ batchSize: grid[i]!, loss }));
const absolute = (value: number) => ({ kind: 'absolute' as const, value });

test('the largest batch size within the tolerance of every smaller one', () => {
  // 1000 is within 0.01 of 256 and 512; 2000 is 0.02 above 256
  assert.equal(criticalBatchSize(branches([0.5, 0.505, 0.509, 0.52, 0.6]), PAPER_TOLERANCE), 1000);
  // a lower loss at a larger B is within by any tolerance
  assert.equal(criticalBatchSize(branches([0.5, 0.4, 0.3, 0.2, 0.1]), absolute(0)), 5000);
  // nothing within: the smallest batch size, which nothing is compared against
  assert.equal(criticalBatchSize(branches([0.1, 0.2, 0.3, 0.4, 0.5]), PAPER_TOLERANCE), 256);
  // one branch: itself
  assert.equal(criticalBatchSize([{ batchSize: 64, loss: 9 }], PAPER_TOLERANCE), 64);
});

test('every smaller branch counts, not only the neighbour, and a later B may qualify again', () => {
  // 2000 is within 0.01 of 1000 (0.515 vs 0.508) but 0.015 above 256: it fails
  assert.equal(criticalBatchSize(branches([0.5, 0.6, 0.508, 0.515, 0.7]), PAPER_TOLERANCE), 1000);
  // 512 fails (0.52 > 0.5 + 0.01) but 1000 passes against both: the largest passing B counts
  assert.equal(criticalBatchSize(branches([0.5, 0.52, 0.505, 0.9, 0.9]), PAPER_TOLERANCE), 1000);
});

test('ties and the tolerance edge are within; just past the edge is not', () => {
  // equal losses: within at tolerance 0
  assert.equal(criticalBatchSize(branches([0.25, 0.25, 0.25, 0.25, 0.25]), absolute(0)), 5000);
  // exactly at the edge (dyadic values, so the sums are exact): 0.5 <= 0.25 + 0.25, while
  // 0.75 is within 0.25 of 0.5 but not of 0.25
  assert.equal(criticalBatchSize(branches([0.25, 0.5, 0.75, 1, 1]), absolute(0.25)), 512);
  // the edge with the last: 1 = 0.75 + 0.25 but 1 > 0.25 + 0.25, so 2000 fails against 256
  assert.equal(criticalBatchSize(branches([0.25, 0.25, 0.5, 0.75, 0.75]), absolute(0.25)), 1000);
  // one ulp past the edge fails
  const past = 0.5 + Number.EPSILON / 2; // the next double above 0.5
  assert.ok(past > 0.5);
  assert.equal(criticalBatchSize(branches([0.25, past, 2, 2, 2]), absolute(0.25)), 256);
});

test('a relative tolerance scales with the loss', () => {
  // 1% of 0.004 is 0.00004: 0.00404 is within, 0.00405 is not
  assert.equal(
    criticalBatchSize(branches([0.004, 0.00404, 0.00405, 1, 1]), { kind: 'relative', value: 0.01 }),
    512,
  );
  // the same losses with the paper's 0.01 nats: all but the last two are within
  assert.equal(criticalBatchSize(branches([0.004, 0.00404, 0.00405, 1, 1]), PAPER_TOLERANCE), 1000);
});

test('a diverged branch never qualifies, and sets no bar for the larger ones', () => {
  assert.equal(criticalBatchSize(branches([0.5, 0.5, Infinity, 0.5, NaN]), PAPER_TOLERANCE), 2000);
  assert.equal(
    criticalBatchSize(branches([0.5, NaN, 0.5, Infinity, Infinity]), PAPER_TOLERANCE),
    1000,
  );
});

test('the grid must increase', () => {
  assert.throws(
    () =>
      criticalBatchSize(
        [
          { batchSize: 512, loss: 1 },
          { batchSize: 256, loss: 1 },
        ],
        PAPER_TOLERANCE,
      ),
    /Expected batch sizes in increasing order for branches\[1\]\.batchSize but received 256/,
  );
  assert.throws(
    () => criticalBatchSize([{ batchSize: 0, loss: 1 }], PAPER_TOLERANCE),
    /Expected a positive integer for branches\[0\]\.batchSize/,
  );
  assert.throws(() => criticalBatchSize([], PAPER_TOLERANCE), /at least one branch/);
  assert.throws(() => criticalBatchSize(branches([1, 1]), absolute(-1)), /for tolerance/);
});

test("the learning-rate rules: the checkpoint's rate, times sqrt(B/B0) or B/B0", () => {
  assert.equal(branchLearningRate('none', 1024, 256, 1e-3), 1e-3);
  assert.equal(branchLearningRate('sqrt', 1024, 256, 1e-3), 2e-3);
  assert.equal(branchLearningRate('linear', 1024, 256, 0.1), 0.4);
  assert.equal(branchLearningRate('sqrt', 256, 256, 1e-3), 1e-3);
});
