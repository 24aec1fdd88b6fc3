/**
 * Experiment B's per-example layer signals (native/signals.h; docs/mathematics.md, "Experiment
 * B from layer signals"). In population mode an example's gradient is, layer by layer, a
 * product of the layer's input and the loss gradient at its output; one pass over a set of
 * examples keeps both for every example, and each draw's mean gradient is then built from its
 * examples' rows (a gather and one product per layer, in the network's gradient buffer) instead
 * of a forward and backward pass. The pass also leaves the set's own mean gradient in the
 * buffer, as `network.gradient(data, indices)` does.
 *
 * The signals belong to the parameters and batch-norm statistics they were computed at, and
 * to their dataset (each draw gathers the first layer's input from it): a draw after either
 * changed, or after the dataset was standardised, is refused natively. A TorchScript module and a language model have
 * none (their draws keep the recomputing path).
 */
import * as os from 'os';
import type { Dataset } from './dataset';
import { expected, GradscopeInputError, isPositiveInteger } from '../core/errors';
import { addon, type NativeLayerSignals } from './native';
import {
  checkNetworkFitsData,
  DEFAULT_CHUNK,
  measured,
  type Measurement,
  type Network,
} from './network';

/** Why `network` has no layer signals (its draws then recompute their examples), or null when
 * it has them: a TorchScript module, or a language model (embeddings and attention, whose
 * per-example gradients are no product of one input and one output gradient per layer). */
export function withoutLayerSignals(network: Network): string | null {
  if (network.resolved.spec.torchscript) return 'a TorchScript module';
  if (network.resolved.language) return 'a language model (embeddings, attention)';
  return null;
}

/** Bytes of one number in the network's floating-point type. */
const elementBytes = (network: Network): number => (network.dtype === 'float32' ? 4 : 8);

/** Bytes the signals of `count` examples of `data` would take for `network` (held on its
 * device); null for a network without them (withoutLayerSignals). Runs one example, holds
 * nothing. */
export function signalBytes(network: Network, data: Dataset, count: number): number | null {
  const sizes = signalSizes(network, data);
  if (sizes === null) return null;
  if (!Number.isSafeInteger(count) || count < 0)
    throw expected('a non-negative integer', 'count', count);
  return (sizes.perExample * count + sizes.fixed) * elementBytes(network);
}

/** Bytes, per example, of every Linear, convolution and batch-norm layer's input and output in
 * a population-mode pass of `network` over `data` (what the pass's memory grows with: in
 * float32 F1 44 kB, C1 1.09 MB, ResNet20 3.26 MB); null for a network without layer signals. Runs one example. */
export function activationBytes(network: Network, data: Dataset): number | null {
  const sizes = signalSizes(network, data);
  return sizes === null ? null : sizes.activations * elementBytes(network);
}

/** The native sizes, in elements, of `network`'s signals on `data` (one example's forward
 * pass); null for a network without layer signals. */
function signalSizes(network: Network, data: Dataset) {
  if (withoutLayerSignals(network)) return null;
  checkNetworkFitsData(network.resolved.spec, data);
  return addon().signalSizes(network.native, data.native);
}

/** The default memory the signals may take: half the machine's free memory now. (On a GPU the
 * signals live in the GPU's memory, which this does not see: set the budget there.) */
export function defaultSignalMemory(): number {
  return Math.floor(os.freemem() / 2);
}

export class LayerSignals {
  readonly network: Network;
  /** The pass that computed them: loss and accuracy over their examples. */
  readonly measurement: Measurement;
  private native: NativeLayerSignals | null;
  /** Row of each example index (-1: not held); null when the examples are 0..n-1 in order. */
  private readonly rowOf: Int32Array | null;

  /** One population-mode pass over `indices` of `data`, `chunk` examples at a time (memory
   * only); leaves their mean gradient in `network`'s gradient buffer. */
  constructor(
    network: Network,
    data: Dataset,
    indices: Int32Array,
    options: { chunk?: number } = {},
  ) {
    const without = withoutLayerSignals(network);
    if (without)
      throw new GradscopeInputError(
        `network ${network.name} is ${without}, which has no layer signals`,
      );
    if (!(indices instanceof Int32Array) || indices.length === 0)
      throw expected('a non-empty Int32Array', 'indices', indices);
    const chunk = options.chunk ?? DEFAULT_CHUNK;
    if (!isPositiveInteger(chunk)) throw expected('a positive integer', 'chunk', chunk);
    data.checkIndices(indices);
    checkNetworkFitsData(network.resolved.spec, data);
    let identity = true;
    for (let i = 0; i < indices.length && identity; i++) identity = indices[i] === i;
    if (identity) this.rowOf = null;
    else {
      this.rowOf = new Int32Array(data.size).fill(-1);
      indices.forEach((index, row) => {
        if (this.rowOf![index] !== -1)
          throw new GradscopeInputError(`index ${index} appears twice among the signals' examples`);
        this.rowOf![index] = row;
      });
    }
    this.network = network;
    this.native = new (addon().LayerSignals)(network.native, data.native, indices, chunk);
    this.measurement = measured(this.native.evaluation(), indices.length);
  }

  /** Bytes held (0 once released). */
  get bytes(): number {
    return this.native?.bytes ?? 0;
  }

  /** The network's gradient buffer <- the mean gradient of the examples at `indices` (example
   * indices of the dataset, each among those the signals were computed for). */
  gradient(indices: Int32Array): void {
    if (!this.native) throw new GradscopeInputError('the layer signals were released');
    if (!(indices instanceof Int32Array) || indices.length === 0)
      throw expected('a non-empty Int32Array', 'indices', indices);
    let rows = indices;
    if (this.rowOf) {
      rows = new Int32Array(indices.length);
      for (let i = 0; i < indices.length; i++) {
        const row =
          indices[i]! >= 0 && indices[i]! < this.rowOf.length ? this.rowOf[indices[i]!]! : -1;
        if (row < 0)
          throw new GradscopeInputError(
            `index ${indices[i]} at position ${i} is not among the signals' examples`,
          );
        rows[i] = row;
      }
    } else
      for (let i = 0; i < indices.length; i++)
        if (!(indices[i]! >= 0 && indices[i]! < this.native.rows))
          throw new GradscopeInputError(
            `index ${indices[i]} at position ${i} is not among the signals' ${this.native.rows} examples`,
          );
    this.native.gradient(rows);
  }

  /** Frees the signals now (otherwise when the object is collected). */
  release(): void {
    this.native?.release();
    this.native = null;
  }
}
