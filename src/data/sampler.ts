/**
 * The seeded sampler: every index set the study uses, reproducible from its arguments
 * alone (see random.ts), so draws never depend on call order and a resumed run repeats
 * exactly what an uninterrupted one would have drawn.
 *
 * - epochPermutation(seed, epoch, n): the order of epoch `epoch` (Fisher-Yates).
 * - uniformBatch(seed, purpose, B, draw, n): the `draw`-th batch of B distinct indices,
 *   every ordered B-subset of [0, n) equally likely; batches independent of each other.
 * - EpochBatches: successive minibatches through the epoch permutations, with a state of
 *   three integers to store in a checkpoint.
 */
import { expected, isNonNegativeInteger, isPositiveInteger } from '../core/errors';
import { rngFor } from './random';

const MAX_INDEX_COUNT = 2 ** 31 - 1;

export function epochPermutation(seed: number, epoch: number, n: number): Int32Array {
  checkCount(n);
  const rng = rngFor(seed, 'epochPermutation', epoch);
  const order = identity(n);
  for (let i = n - 1; i > 0; i--) swap(order, i, rng.below(i + 1));
  return order;
}

/**
 * B distinct indices, uniform without replacement. When B > n/4 a partial Fisher-Yates over
 * [0, n); otherwise each index is drawn uniformly and redrawn if already taken, which leaves
 * it uniform over the indices not yet taken (at most 4/3 draws per index expected). Which
 * method runs depends only on (B, n), so the result stays a function of the arguments.
 */
export function uniformBatch(
  seed: number,
  purpose: string,
  batchSize: number,
  draw: number,
  n: number,
): Int32Array {
  checkCount(n);
  if (!isPositiveInteger(batchSize) || batchSize > n) {
    throw expected(`an integer from 1 to ${n}`, 'batch size', batchSize);
  }
  const rng = rngFor(seed, `uniformBatch:${purpose}`, batchSize, draw);
  if (4 * batchSize > n) {
    const order = identity(n);
    for (let i = 0; i < batchSize; i++) swap(order, i, i + rng.below(n - i));
    return order.slice(0, batchSize);
  }
  const batch = new Int32Array(batchSize);
  const taken = new Set<number>();
  for (let i = 0; i < batchSize; i++) {
    let index = rng.below(n);
    while (taken.has(index)) index = rng.below(n);
    taken.add(index);
    batch[i] = index;
  }
  return batch;
}

export interface EpochBatchesState {
  seed: number;
  epoch: number;
  /** Examples of this epoch already handed out. */
  position: number;
}

/** Minibatches in epoch order; the last batch of an epoch holds what is left of it. */
export class EpochBatches {
  private order: Int32Array;

  constructor(
    readonly n: number,
    private current: EpochBatchesState,
  ) {
    checkCount(n);
    const { seed, epoch, position } = current;
    if (!isNonNegativeInteger(position) || position >= n) {
      throw expected(`an integer from 0 to ${n - 1}`, 'position', position);
    }
    this.order = epochPermutation(seed, epoch, n);
    this.current = { seed, epoch, position };
  }

  /** The next min(B, what is left of the epoch) indices, and the epoch they belong to. */
  next(batchSize: number): { epoch: number; indices: Int32Array } {
    if (!isPositiveInteger(batchSize))
      throw expected('a positive integer', 'batch size', batchSize);
    const { seed, epoch, position } = this.current;
    const end = Math.min(position + batchSize, this.n);
    const indices = this.order.slice(position, end);
    if (end < this.n) {
      this.current = { seed, epoch, position: end };
    } else {
      this.current = { seed, epoch: epoch + 1, position: 0 };
      this.order = epochPermutation(seed, epoch + 1, this.n);
    }
    return { epoch, indices };
  }

  state(): EpochBatchesState {
    return { ...this.current };
  }
}

function checkCount(n: number): void {
  if (!isPositiveInteger(n) || n > MAX_INDEX_COUNT) {
    throw expected(`an integer from 1 to ${MAX_INDEX_COUNT}`, 'example count', n);
  }
}

function identity(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

function swap(order: Int32Array, i: number, j: number): void {
  const t = order[i]!;
  order[i] = order[j]!;
  order[j] = t;
}
