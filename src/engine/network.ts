/**
 * A network as the study sees it: the flat parameter vector w (zero-copy view of
 * native memory), its gradient buffer, and f(w), g(w) over index sets of a dataset.
 *
 * Modes: `train` (batch-norm on batch statistics, running statistics updated,
 * dropout on), `batch` (batch statistics, nothing updated, dropout off) and
 * `population` (running statistics, dropout off). In `batch` mode `chunk` is the
 * ghost-batch size: the result is the size-weighted mean over consecutive chunks.
 * In `population` mode chunking changes nothing but memory.
 */
import type { Dataset } from './dataset';
import { expected, GradscopeInputError, isPositiveInteger } from './errors';
import { resolveNetwork, type NetworkSpec, type ResolvedNetwork } from './layers';
import { addon, type FloatArray, type Mode, type NativeNetwork } from './native';
import { threadsForFirstNetwork } from './threads';

export type { Mode, FloatArray };
export type DType = 'float32' | 'float64';

export interface Measurement {
  /** Mean cross-entropy over the examples. */
  loss: number;
  /** Sum of per-example cross-entropies. */
  lossSum: number;
  correct: number;
  count: number;
  accuracy: number;
}

export interface PassOptions {
  mode?: Mode;
  /** Examples per forward pass (ghost-batch size in `batch` mode). Default: all at once in
   * `train` mode, 5000 otherwise. */
  chunk?: number;
}

export interface ParameterEntry {
  /** The PyTorch state_dict key, e.g. "1.weight". */
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface StatisticsEntry {
  name: string;
  layer: number;
  features: number;
  /** Offsets into `statistics` of running_mean and running_var. */
  meanOffset: number;
  varOffset: number;
}

const MODES: Mode[] = ['train', 'batch', 'population'];
export const DEFAULT_CHUNK = 5000;

export class Network {
  readonly resolved: ResolvedNetwork;
  readonly dtype: DType;
  /** w: every trainable parameter, in state_dict order. Writes change the network. */
  readonly parameters: FloatArray;
  /** The gradient left by the last `gradient` call, laid out as `parameters`. */
  readonly gradients: FloatArray;
  /** running_mean and running_var of every batch-norm layer, in order. */
  readonly statistics: FloatArray;
  /** num_batches_tracked of every batch-norm layer. */
  readonly batchCounts: BigInt64Array;
  readonly parameterTable: ParameterEntry[];
  readonly statisticsTable: StatisticsEntry[];
  /** @internal */
  readonly native: NativeNetwork;

  constructor(spec: NetworkSpec, options: { seed?: number; dtype?: DType } = {}) {
    const seed = options.seed ?? 0;
    const dtype = options.dtype ?? 'float32';
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw expected('a non-negative integer', 'seed', seed);
    if (dtype !== 'float32' && dtype !== 'float64')
      throw expected('"float32" or "float64"', 'dtype', dtype);
    const script = spec.torchscript;
    if (script !== undefined && typeof script !== 'string')
      throw expected('a file name', 'network.torchscript', script);
    this.resolved = script
      ? { spec, layers: [], parameterCount: 0, statistics: [], nested: true }
      : resolveNetwork(spec);
    threadsForFirstNetwork(spec);
    this.dtype = dtype;
    this.native = new (addon().Network)(script ?? this.resolved.layers, dtype, seed);
    if (script) {
      // the module says what it holds: parameters, and batch norms by their names
      this.resolved.parameterCount = this.native.parameters().length;
      this.resolved.statistics = this.native
        .statisticsNames()
        .map(({ name, features }) => ({ layer: -1, name, features }));
    }
    this.parameters = this.native.parameters();
    this.gradients = this.native.gradients();
    this.statistics = this.native.statistics();
    this.batchCounts = this.native.batchCounts();
    this.parameterTable = this.native.parameterTable().map((p) => ({
      ...p,
      size: p.shape.reduce((a, b) => a * b, 1),
    }));
    let offset = 0;
    this.statisticsTable = this.resolved.statistics.map(({ layer, name, features }) => {
      const entry = {
        name,
        layer,
        features,
        meanOffset: offset,
        varOffset: offset + features,
      };
      offset += 2 * features;
      return entry;
    });
    if (this.parameters.length !== this.resolved.parameterCount)
      throw new Error('gradscope: native parameter count disagrees with the layer list');
  }

  get name(): string {
    return this.resolved.spec.name;
  }

  get parameterCount(): number {
    return this.parameters.length;
  }

  /** Fills `gradients` with the gradient of the mean loss over `indices`; returns the loss. */
  gradient(data: Dataset, indices: Int32Array, options: PassOptions = {}): Measurement {
    const { mode, chunk } = this.check(data, indices, options);
    return measured(this.native.gradient(data.native, indices, mode, chunk), indices.length);
  }

  /** Loss and accuracy over `indices`, forward only. */
  evaluate(data: Dataset, indices: Int32Array, options: PassOptions = {}): Measurement {
    const { mode, chunk } = this.check(data, indices, options);
    if (mode === 'train')
      throw expected('"batch" or "population" (evaluation changes nothing)', 'mode', mode);
    return measured(this.native.evaluate(data.native, indices, mode, chunk), indices.length);
  }

  /** out = H v, with H the Hessian of the mean loss over `indices`. */
  hessianVector(
    data: Dataset,
    indices: Int32Array,
    v: FloatArray,
    out: FloatArray,
    options: PassOptions = {},
  ): Measurement {
    const { mode, chunk } = this.check(data, indices, options);
    this.checkVector(v, 'v');
    this.checkVector(out, 'out');
    if (mode === 'train') throw expected('"batch" or "population"', 'mode', mode);
    return measured(
      this.native.hessianVector(data.native, indices, mode, chunk, v, out),
      indices.length,
    );
  }

  /** Class scores, one row of `classes` per example (a copy). */
  logits(data: Dataset, indices: Int32Array, options: PassOptions = {}): FloatArray {
    const { mode, chunk } = this.check(data, indices, options);
    if (mode === 'train') throw expected('"batch" or "population"', 'mode', mode);
    return this.native.logits(data.native, indices, mode, chunk);
  }

  /**
   * Recomputes the batch-norm running statistics from the examples at `indices`,
   * weights fixed: layer by layer, the exact per-channel mean and unbiased variance
   * of each batch-norm layer's input over those examples, the layers before it
   * already recalibrated. Evaluated `chunk` examples at a time (no effect on the result).
   *
   * Returns those examples' population-mode loss and accuracy after recalibration
   * when the activations were held between layers (then they cost only the layers
   * after the last batch norm); null when they were not, or there is no batch norm.
   */
  recalibrate(
    data: Dataset,
    indices: Int32Array,
    options: { chunk?: number; holdActivations?: boolean } = {},
  ): Measurement | null {
    if (this.resolved.spec.torchscript)
      throw new GradscopeInputError(
        'batch-norm recalibration is not available for TorchScript modules (use --bn interpolate or batch)',
      );
    const { chunk } = this.check(data, indices, { mode: 'population', chunk: options.chunk });
    // one pass with every chunk's activations held, when they fit in 1 GiB; otherwise
    // each layer's inputs are recomputed from the data (same result, more compute)
    const widest = Math.max(...this.resolved.layers.map((l) => l.shape.reduce((a, b) => a * b, 1)));
    const keep =
      options.holdActivations ??
      indices.length * widest * (this.dtype === 'float32' ? 4 : 8) <= 2 ** 30;
    const sample = this.native.recalibrate(data.native, indices, 'population', chunk, keep);
    return sample ? measured(sample, indices.length) : null;
  }

  private checkVector(v: FloatArray, option: string): void {
    const type = this.dtype === 'float32' ? Float32Array : Float64Array;
    if (!(v instanceof type) || v.length !== this.parameterCount)
      throw expected(`a ${type.name} of length ${this.parameterCount}`, option, v);
  }

  private check(
    data: Dataset,
    indices: Int32Array,
    options: PassOptions,
  ): { mode: Mode; chunk: number } {
    const mode = options.mode ?? 'population';
    if (!MODES.includes(mode)) throw expected('"train", "batch" or "population"', 'mode', mode);
    if (!(indices instanceof Int32Array) || indices.length === 0)
      throw expected('a non-empty Int32Array', 'indices', indices);
    const chunk = options.chunk ?? (mode === 'train' ? indices.length : DEFAULT_CHUNK);
    if (!isPositiveInteger(chunk)) throw expected('a positive integer', 'chunk', chunk);
    data.checkIndices(indices);
    checkNetworkFitsData(this.resolved.spec, data);
    return { mode, chunk };
  }
}

/** The input check of a network against the data, before anything runs. */
export function checkNetworkFitsData(spec: NetworkSpec, data: Dataset): void {
  if (spec.torchscript) return; // a TorchScript module's shapes are its own: it says when they fail
  const [c, h, w] = spec.input;
  const [dc, dh, dw] = data.shape;
  if (c !== dc || h !== dh || w !== dw)
    throw new GradscopeInputError(
      `network ${spec.name} takes ${c}x${h}x${w} inputs but dataset ${data.name} has ${dc}x${dh}x${dw}`,
    );
  if (data.classes > spec.classes)
    throw new GradscopeInputError(
      `network ${spec.name} has ${spec.classes} outputs but dataset ${data.name} has ${data.classes} classes`,
    );
}

function measured(e: { lossSum: number; correct: number }, count: number): Measurement {
  return {
    loss: e.lossSum / count,
    lossSum: e.lossSum,
    correct: e.correct,
    count,
    accuracy: e.correct / count,
  };
}
