/**
 * Per-example squared gradient norms in `population` mode (native/signals.h,
 * exampleSquaredNorms; docs/mathematics.md, "The gradient noise scale during training"): for the
 * examples S, each |g_i|^2 and |(1/|S|) sum_i g_i|^2, g_i the gradient of example i's loss, from
 * one forward pass and one backward pass to each layer's output. A Linear layer's example
 * gradient is delta_i a_i^T (its norm |delta_i|^2 |a_i|^2), a batch norm's (d_i x^_i, d_i) per
 * channel; no per-example gradient is formed. Networks of Linear and batch-norm layers only
 * (a convolution's example gradient is no single outer product; a language model's neither).
 * Nothing in the network changes: not its gradient buffer, running statistics or random streams.
 */
import { expected, isPositiveInteger } from '../core/errors';
import type { Dataset } from './dataset';
import { addon } from './native';
import { checkNetworkFitsData, type Network } from './network';

/** Examples a pass: the Gram matrices' crossover on F1's 512 x 512 layers. */
export const EXAMPLE_NORMS_CHUNK = 256;

export interface ExampleNorms {
  /** |g_i|^2 of each example, in the order of the indices. */
  examples: Float64Array;
  /** |mean_i g_i|^2. */
  meanSquared: number;
}

/**
 * Whether `network`'s layers allow per-example norms (Linear, batch norm and parameter-free
 * layers; no convolution, no TorchScript module, no language model).
 */
export function exampleNormsApply(network: Network): boolean {
  return addon().exampleNormsApply(network.native);
}

/**
 * Each example's squared gradient norm and the squared norm of their mean gradient, in
 * population mode, `chunk` examples a pass. Up to one chunk, a Linear layer's |sum_i g_i|^2 comes
 * from the Gram matrices of its inputs and output gradients (m^2 (in + out) products, cheaper
 * than the weight gradient's m in out while m < in out / (in + out), 256 for 512 x 512); over
 * several, from its summed gradient.
 */
export function exampleSquaredNorms(
  network: Network,
  data: Dataset,
  indices: Int32Array,
  options: { chunk?: number } = {},
): ExampleNorms {
  if (!(indices instanceof Int32Array) || indices.length === 0)
    throw expected('a non-empty Int32Array', 'indices', indices);
  const chunk = options.chunk ?? EXAMPLE_NORMS_CHUNK;
  if (!isPositiveInteger(chunk)) throw expected('a positive integer', 'chunk', chunk);
  data.checkIndices(indices);
  checkNetworkFitsData(network.resolved.spec, data);
  if (!exampleNormsApply(network))
    throw expected(
      'a network of Linear and batch-norm layers (per-example norms)',
      'network',
      network.name,
    );
  return addon().exampleSquaredNorms(network.native, data.native, indices, chunk);
}
