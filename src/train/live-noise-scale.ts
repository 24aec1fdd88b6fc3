/**
 * The live noise-scale measurement on a network (docs/mathematics.md, "The gradient noise scale
 * during training"): before a step's own gradient, the step's batch in k chunks of b examples,
 * each chunk's mean gradient g_j in `population` mode (batch norm on its running statistics,
 * dropout off: no training randomness drawn, no running statistic moved), accumulated in
 * float64 on the network's device (src/engine/device-vector.ts); only |g_j|^2 and
 * |mean_j g_j|^2 come back. The gradient buffer is left holding g_k: the step's own
 * `gradient` call overwrites it, so training goes on exactly as without the measurement.
 */
import type { Dataset } from '../engine/dataset';
import { DeviceVector, measureGradient, measureVector } from '../engine/device-vector';
import type { Network } from '../engine/network';
import { chunking, type ChunkNorms } from './noise-scale';

export class LiveNoiseScale {
  private vectors: { sum: DeviceVector; zero: DeviceVector } | undefined;

  constructor(
    readonly network: Network,
    readonly chunks: number,
  ) {}

  /** The chunk norms of `batch` (its first k b examples); undefined for fewer than 2 examples. */
  measure(data: Dataset, batch: Int32Array): ChunkNorms | undefined {
    const plan = chunking(batch.length, this.chunks);
    if (!plan) return undefined;
    const { chunks, chunkSize } = plan;
    this.vectors ??= { sum: new DeviceVector(this.network), zero: new DeviceVector(this.network) };
    const { sum, zero } = this.vectors;
    let smallSquared = 0;
    for (let j = 0; j < chunks; j++) {
      const chunk = batch.subarray(j * chunkSize, (j + 1) * chunkSize);
      this.network.gradient(data, chunk, { mode: 'population', chunk: chunkSize });
      smallSquared += measureGradient(this.network, zero, zero).normSquared / chunks;
      if (j === 0) sum.setGradient(this.network, 1 / chunks);
      else sum.addGradient(this.network, 1 / chunks);
    }
    const bigSquared = measureVector(sum, 1, zero, zero).normSquared;
    return { bigSquared, smallSquared, chunks, chunkSize };
  }
}
