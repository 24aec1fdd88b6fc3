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

/**
 * What exampleSquaredNorms measured over some examples.
 *
 * @example
 * ```ts
 * import { exampleSquaredNorms, loadData, Network, networkSpec, type ExampleNorms } from 'gradscope';
 * const data = loadData('mnist');
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const norms: ExampleNorms = exampleSquaredNorms(network, data.train, data.train.all().subarray(0, 64));
 * console.log(Math.max(...norms.examples), norms.meanSquared);
 * ```
 */
export interface ExampleNorms {
  /** |g_i|^2 of each example, in the order of the indices. */
  examples: Float64Array;
  /** |mean_i g_i|^2. */
  meanSquared: number;
}

/**
 * Whether `network`'s layers allow per-example norms (Linear, batch norm and parameter-free
 * layers; no convolution, no TorchScript module, no language model).
 *
 * @example
 * ```ts
 * import { exampleNormsApply, Network, networkSpec } from 'gradscope';
 * exampleNormsApply(new Network(networkSpec('F1'), { seed: 0 })); // true: Linear and batch norm
 * exampleNormsApply(new Network(networkSpec('C1'), { seed: 0 })); // false: convolutions
 * ```
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
 *
 * @example
 * ```ts
 * import { exampleSquaredNorms, loadData, Network, networkSpec } from 'gradscope';
 * const data = loadData('mnist');
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const batch = data.train.all().subarray(0, 256);
 * const { examples, meanSquared } = exampleSquaredNorms(network, data.train, batch);
 * // the noise's trace and |G|^2, unbiased (McCandlish et al. 2018, appendix A.1; B = 1 and 256):
 * const small = examples.reduce((s, x) => s + x, 0) / examples.length;
 * const trace = (small - meanSquared) / (1 - 1 / 256);
 * console.log(`B_simple ${(trace / (meanSquared - trace / 256)).toFixed(0)}`);
 * ```
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
