/**
 * The live noise-scale measurement on a network (docs/mathematics.md, "The gradient noise scale
 * during training"), before a step's own gradient, on the first m examples of the step's batch
 * (m = `examples`, or the whole batch), in `population` mode (batch norm on its running
 * statistics, dropout off: no training randomness drawn, no running statistic moved):
 * - per example, where every parametrised layer is Linear or batch norm (exampleNormsApply):
 *   each example's |g_i|^2 and |mean_i g_i|^2 from one forward and one backward pass
 *   (src/engine/example-norms.ts), nothing in the network changed; the estimator with chunks of
 *   b = 1, k = m;
 * - else in k chunks of b examples, each chunk's mean gradient g_j accumulated in float64 on the
 *   network's device (src/engine/device-vector.ts), only |g_j|^2 and |mean_j g_j|^2 coming
 *   back; the gradient buffer is left holding g_k, which the step's own `gradient` call
 *   overwrites.
 * Either way training goes on exactly as without the measurement.
 */
import type { Dataset } from '../engine/dataset';
import { DeviceVector, measureGradient, measureVector } from '../engine/device-vector';
import { exampleNormsApply, exampleSquaredNorms } from '../engine/example-norms';
import type { Network } from '../engine/network';
import { chunking, type ChunkNorms } from './noise-scale';

export class LiveNoiseScale {
  private vectors: { sum: DeviceVector; zero: DeviceVector } | undefined;
  /** Whether the measurement takes per-example norms (else chunks). */
  readonly perExample: boolean;

  constructor(
    readonly network: Network,
    readonly chunks: number,
    /** m, the examples of the batch measured (the first m); undefined: all of them. */
    readonly examples?: number,
  ) {
    this.perExample = exampleNormsApply(network);
  }

  /** The norms of `batch`'s first m examples; undefined for fewer than 2 examples. */
  measure(data: Dataset, batch: Int32Array): ChunkNorms | undefined {
    const measured = batch.subarray(0, Math.min(batch.length, this.examples ?? batch.length));
    if (this.perExample) {
      if (measured.length < 2) return undefined;
      const { examples, meanSquared } = exampleSquaredNorms(this.network, data, measured);
      let sum = 0;
      for (const x of examples) sum += x;
      return {
        bigSquared: meanSquared,
        smallSquared: sum / examples.length,
        chunks: examples.length,
        chunkSize: 1,
      };
    }
    const plan = chunking(measured.length, this.chunks);
    if (!plan) return undefined;
    const { chunks, chunkSize } = plan;
    this.vectors ??= { sum: new DeviceVector(this.network), zero: new DeviceVector(this.network) };
    const { sum, zero } = this.vectors;
    let smallSquared = 0;
    for (let j = 0; j < chunks; j++) {
      const chunk = measured.subarray(j * chunkSize, (j + 1) * chunkSize);
      this.network.gradient(data, chunk, { mode: 'population', chunk: chunkSize });
      smallSquared += measureGradient(this.network, zero, zero).normSquared / chunks;
      if (j === 0) sum.setGradient(this.network, 1 / chunks);
      else sum.addGradient(this.network, 1 / chunks);
    }
    const bigSquared = measureVector(sum, 1, zero, zero).normSquared;
    return { bigSquared, smallSquared, chunks, chunkSize };
  }
}
