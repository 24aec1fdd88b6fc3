/**
 * Experiment B's draws from layer signals kept one block at a time (docs/mathematics.md,
 * "Experiment B from layer signals", "In blocks"). When the signals of the whole training set
 * exceed the memory allowed (ResNet20: 487 kB an example, 22.7 GiB for CIFAR-10's 50 000), the
 * pass that computes g_train runs over contiguous blocks of examples and keeps one block's
 * signals at a time. Before the next block, every draw piece (a nested draw's segment, or an
 * independent draw's whole batch) adds the products of its rows in this block to its own sum,
 *   s_p = sum over blocks b of |S_p ∩ b| g(S_p ∩ b) = |S_p| g_p,
 * a float64 vector on the network's device. Once every block has passed, each s_p is the
 * piece's whole gradient sum, the same products as from all the signals at once, summed in
 * another order; g_train is sum_b |b| g_b / M in the same way. The arithmetic is that of the
 * whole-set signals (a weight-gradient product per drawn example); the cost is one vector of
 * the network's length per piece (400 for K = 100 nested draws of 4 sizes: 5.6 GB for C1),
 * held beside one block's signals. A block is one chunk by default (5000 examples: 0.8 GiB for
 * C1), and its pass runs a quarter of it at a time, so that the block's signals and the pass's
 * own memory (the activations of 1250 examples, about 2.7 GB for C1) take a fraction of what
 * one recomputing chunk of 5000 does (about 11 GB for C1). The heap the process keeps serves
 * each block the last one's memory (no new pages touched). Each block costs every piece a
 * product of its rows in the block: 10 blocks of K = 100 nested draws make about 4000
 * products instead of 400, of the same rows in all (C1's point: 217 s in blocks against 194 s
 * from the whole set's signals and 475 s recomputed, 2-core AMD EPYC).
 */
import { expected } from '../core/errors';
import type { Dataset } from '../engine/dataset';
import { DeviceVector } from '../engine/device-vector';
import { LayerSignals, signalBytes } from '../engine/layer-signals';
import { measured, type Measurement, type Network } from '../engine/network';
import { throwIfStopped } from '../train/stop';

/** How the training set is split so that one block's signals and the pieces' sums fit. */
export interface SignalBlocks {
  /** Examples per block (the last may have fewer). */
  size: number;
  count: number;
  /** Bytes of one block's signals. */
  signalBytes: number;
  /** Bytes of the pieces' float64 sums. */
  sumBytes: number;
}

/** Bytes of `pieces` float64 sums of the network's length. */
export function drawSumBytes(network: Network, pieces: number): number {
  return pieces * network.parameterCount * 8;
}

/** Blocks of `size` examples (the last may have fewer) whose signals, beside `pieces` float64
 * sums of the network's length, fit in `budget` bytes; null when they do not (or the network
 * has no layer signals). */
export function signalBlocks(
  network: Network,
  train: Dataset,
  pieces: number,
  budget: number,
  size: number,
): SignalBlocks | null {
  const sumBytes = drawSumBytes(network, pieces);
  const count = Math.ceil(train.size / Math.min(size, train.size));
  const even = Math.ceil(train.size / count);
  const bytes = signalBytes(network, train, even);
  if (bytes === null || bytes + sumBytes > budget) return null;
  return { size: even, count, signalBytes: bytes, sumBytes };
}

/** g_train, its measurement, and each piece's sum |S_p| g_p, from one pass over the training
 * set in `blocks`; `onRows(p, rows)` after piece p took its rows of a block (progress). Leaves
 * the network's gradient buffer holding the last piece's mean gradient. */
export async function blockedPieceSums(
  network: Network,
  train: Dataset,
  pieces: Int32Array[],
  blocks: SignalBlocks,
  chunk: number,
  onRows?: (piece: number, rows: number) => void,
): Promise<{ measurement: Measurement; gTrain: DeviceVector; sums: DeviceVector[] }> {
  if (!(blocks.size > 0 && blocks.count * blocks.size >= train.size))
    throw expected('blocks that cover the training set', 'signal blocks', blocks);
  const m = train.size;
  const gTrain = new DeviceVector(network);
  const sums = pieces.map(() => new DeviceVector(network));
  let lossSum = 0;
  let correct = 0;
  for (let b = 0; b < blocks.count; b++) {
    const lo = b * blocks.size;
    const hi = Math.min(m, lo + blocks.size);
    await throwIfStopped(() => `at block ${b + 1} of ${blocks.count} of the layer signals`);
    const examples = new Int32Array(hi - lo);
    for (let i = 0; i < examples.length; i++) examples[i] = lo + i;
    // the block's pass leaves its mean gradient in the network's buffer
    const signals = new LayerSignals(network, train, examples, { chunk: passChunk(chunk) });
    try {
      gTrain.addGradient(network, (hi - lo) / m);
      lossSum += signals.measurement.lossSum;
      correct += signals.measurement.correct;
      for (let p = 0; p < pieces.length; p++) {
        await throwIfStopped(() => `at block ${b + 1} of ${blocks.count}, draw piece ${p + 1}`);
        const rows = within(pieces[p]!, lo, hi);
        if (rows.length > 0) {
          signals.gradient(rows);
          sums[p]!.addGradient(network, rows.length);
        }
        onRows?.(p, rows.length);
      }
    } finally {
      signals.release();
    }
  }
  return { measurement: measured({ lossSum, correct }, m), gTrain, sums };
}

/** The examples the pass that keeps layer signals takes at a time, whole or in blocks: a
 * quarter of a chunk, so that its own memory (a chunk's activations) sits beside the signals
 * (see above). */
export function passChunk(chunk: number): number {
  return Math.max(1, Math.ceil(chunk / 4));
}

/** The indices in [lo, hi), in their order. */
function within(indices: Int32Array, lo: number, hi: number): Int32Array {
  let n = 0;
  for (const i of indices) if (i >= lo && i < hi) n++;
  const out = new Int32Array(n);
  n = 0;
  for (const i of indices) if (i >= lo && i < hi) out[n++] = i;
  return out;
}
