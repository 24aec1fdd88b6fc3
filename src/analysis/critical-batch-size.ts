/**
 * The critical batch size by branching (docs/mathematics.md, "The critical batch size by
 * branching"; Merrill, Arora, Groeneveld, Hajishirzi 2025, "Critical Batch Size Revisited",
 * arXiv 2505.23971, section 3.1). From one checkpoint, branches at batch sizes
 * B_1 < B_2 < ... < B_m train for the same number of examples, each with the learning rate
 * of a scaling rule,
 *
 *   eta(B) = eta_0                  (none)
 *   eta(B) = eta_0 sqrt(B / B_0)    (sqrt: Adam, the paper's rule)
 *   eta(B) = eta_0 B / B_0          (linear: SGD)
 *
 * B_0 and eta_0 the checkpoint's own batch size and learning rate; with L_j the loss of branch
 * j at its end, the critical batch size is
 *
 *   B* = max { B_j : L_j <= L_i + eps for every i < j }
 *
 * (the paper's tolerance eps = 0.01 nats; or relative, L_j <= L_i (1 + rho)). The smallest B of
 * the grid always qualifies (nothing is below it), so B* is at least B_1; a branch whose loss is
 * not finite (it diverged) never qualifies above it. Equality is within the tolerance.
 */
import { expected } from '../core/errors';

/** The learning-rate rule of the branches. */
export type LearningRateRule = 'none' | 'sqrt' | 'linear';

/** How much worse a branch may end and still be "the same": in nats, or a share of the loss. */
export type Tolerance = { kind: 'absolute'; value: number } | { kind: 'relative'; value: number };

/** The paper's tolerance: 0.01 nats. */
export const PAPER_TOLERANCE: Tolerance = { kind: 'absolute', value: 0.01 };

/** One branch as the definition sees it: its batch size and its loss at the end (not finite:
 * it diverged). */
export interface BranchLoss {
  batchSize: number;
  loss: number;
}

/**
 * The learning rate of a branch at `batchSize` from a checkpoint trained at `baseBatch` with
 * `baseRate`.
 *
 * @example
 * ```ts
 * import { branchLearningRate } from 'gradscope';
 * branchLearningRate('sqrt', 1024, 256, 1e-3); // 2e-3
 * ```
 */
export function branchLearningRate(
  rule: LearningRateRule,
  batchSize: number,
  baseBatch: number,
  baseRate: number,
): number {
  const k = batchSize / baseBatch;
  return rule === 'none' ? baseRate : rule === 'sqrt' ? baseRate * Math.sqrt(k) : baseRate * k;
}

/** Whether `loss` is within the tolerance of `reference`. */
function within(loss: number, reference: number, tolerance: Tolerance): boolean {
  if (!Number.isFinite(loss)) return false;
  if (!Number.isFinite(reference)) return true; // a smaller branch that diverged sets no bar
  const bound =
    tolerance.kind === 'absolute'
      ? reference + tolerance.value
      : reference + tolerance.value * Math.abs(reference);
  return loss <= bound;
}

/**
 * Merrill et al.'s critical batch size of a checkpoint from its branches' losses: the largest
 * batch size whose loss is within the tolerance of the loss of every smaller one. The branches
 * must have increasing batch sizes.
 *
 * @example
 * ```ts
 * import { criticalBatchSize } from 'gradscope';
 * const branches = [
 *   { batchSize: 256, loss: 0.100 },
 *   { batchSize: 1000, loss: 0.105 },
 *   { batchSize: 5000, loss: 0.140 },
 * ];
 * criticalBatchSize(branches, { kind: 'absolute', value: 0.01 }); // 1000
 * ```
 */
export function criticalBatchSize(branches: readonly BranchLoss[], tolerance: Tolerance): number {
  if (branches.length === 0) throw expected('at least one branch', 'branches', branches);
  branches.forEach((b, i) => {
    if (!(Number.isSafeInteger(b.batchSize) && b.batchSize > 0))
      throw expected('a positive integer', `branches[${i}].batchSize`, b.batchSize);
    if (i > 0 && b.batchSize <= branches[i - 1]!.batchSize)
      throw expected('batch sizes in increasing order', `branches[${i}].batchSize`, b.batchSize);
  });
  if (!(Number.isFinite(tolerance.value) && tolerance.value >= 0))
    throw expected('a finite number at least 0', 'tolerance', tolerance.value);
  let critical = branches[0]!.batchSize;
  for (let j = 1; j < branches.length; j++) {
    const b = branches[j]!;
    if (branches.slice(0, j).every((a) => within(b.loss, a.loss, tolerance)))
      critical = b.batchSize;
  }
  return critical;
}
