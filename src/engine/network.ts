/**
 * A network as the study sees it: the flat parameter vector w, its gradient buffer, and
 * f(w), g(w) over index sets of a dataset.
 *
 * The flat vectors live on the engine's device (src/engine/device.ts). Code reads and writes
 * them through explicit copies (readParameters, writeParameters, readGradients, ...), which
 * serve every device. On the CPU the same vectors are also zero-copy Float32Array views
 * (`parameters`, `gradients`, `statistics`, `batchCounts`), unless GRADSCOPE_ZERO_COPY=0 turns
 * them off so that the explicit path runs on the CPU too (the tests compare the two).
 *
 * Modes: `train` (batch-norm on batch statistics, running statistics updated,
 * dropout on), `batch` (batch statistics, nothing updated, dropout off) and
 * `population` (running statistics, dropout off). In `batch` mode `chunk` is the
 * ghost-batch size: the result is the size-weighted mean over consecutive chunks.
 * In `population` mode chunking changes nothing but memory.
 */
import type { Dataset } from './dataset';
import { expected, GradscopeInputError, isPositiveInteger } from '../core/errors';
import { resolveNetwork, type NetworkSpec, type ResolvedNetwork } from './layers';
import { addon, type FloatArray, type Mode, type NativeNetwork } from './native';
import { settleDevice, zeroCopyViews } from './device';
import { threadsForFirstNetwork } from './threads';
import { checkTorchScriptFits, warnOfOtherState } from './torchscript';

export type { Mode, FloatArray };
export type DType = 'float32' | 'float64';

/**
 * What a pass over some examples measured: the mean loss, the loss sum and the accuracy.
 *
 * @example
 * ```ts
 * import { loadData, Network, networkSpec, type Measurement } from 'gradscope';
 * const data = loadData('mnist');
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const test: Measurement = network.evaluate(data.test, data.test.all());
 * console.log(`test loss ${test.loss.toFixed(4)}, accuracy ${(100 * test.accuracy).toFixed(2)}%`);
 * ```
 */
export interface Measurement {
  /** Mean cross-entropy over the examples; a language model's: over every next-token position
   * (per token). */
  loss: number;
  /** Sum of per-example cross-entropies; a language model's example (a window of T positions)
   * adds its mean next-token cross-entropy, so that lossSum / count is the per-token mean. */
  lossSum: number;
  /** Examples classified correctly; a language model's example adds its fraction of next
   * tokens predicted (its correct positions / T), so that correct / count is per token. */
  correct: number;
  /** Examples (windows for a language model). */
  count: number;
  accuracy: number;
}

/**
 * How a pass treats batch norm and dropout (`mode`: `train`, `batch` or `population`) and how
 * many examples it runs at once (`chunk`).
 *
 * @example
 * ```ts
 * import { loadData, Network, networkSpec, type PassOptions } from 'gradscope';
 * const data = loadData('mnist');
 * const network = new Network(networkSpec('C1'), { seed: 0 });
 * // g_B as in training, batch norm on ghost batches of 128, running statistics untouched
 * const asInTraining: PassOptions = { mode: 'batch', chunk: 128 };
 * network.gradient(data.train, data.train.all().subarray(0, 1024), asInTraining);
 * ```
 */
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
/**
 * Examples per forward pass outside `train` mode unless a pass says otherwise (memory only:
 * in `population` mode the result does not depend on it).
 *
 * @example
 * ```ts
 * import { DEFAULT_CHUNK, loadData, Network, networkSpec } from 'gradscope';
 * const data = loadData('mnist');
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * // g_train in population mode, half the default chunk to halve the activations' memory
 * network.gradient(data.train, data.train.all(), { mode: 'population', chunk: DEFAULT_CHUNK / 2 });
 * ```
 */
export const DEFAULT_CHUNK = 5000;

/** The flat vectors of a network, by their native names. */
type BufferName = 'parameters' | 'gradients' | 'statistics' | 'batchCounts';

/**
 * A network as the study sees it: the flat parameter vector w (`parameters`, or
 * `readParameters` on any device), its gradient, and f(w), g(w) over index sets of a data set.
 *
 * @example
 * ```ts
 * import { loadData, Network, networkSpec } from 'gradscope';
 * const data = loadData('mnist');
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const batch = data.train.all().subarray(0, 256);
 * const { loss } = network.gradient(data.train, batch, { mode: 'population' });
 * const g = network.readGradients(); // g_B, laid out as w
 * console.log(`d = ${network.parameterCount}, f = ${loss.toFixed(4)}, g[0] = ${g[0]}`);
 * ```
 */
export class Network {
  readonly resolved: ResolvedNetwork;
  readonly dtype: DType;
  /** Where the flat vectors live: "cpu" or "cuda:N". */
  readonly device: string;
  /** Whether `parameters`, `gradients`, `statistics` and `batchCounts` are zero-copy views. */
  readonly zeroCopy: boolean;
  readonly parameterTable: ParameterEntry[];
  readonly statisticsTable: StatisticsEntry[];
  /** @internal */
  readonly native: NativeNetwork;
  private readonly views: {
    parameters: FloatArray;
    gradients: FloatArray;
    statistics: FloatArray;
    batchCounts: BigInt64Array;
  } | null;
  private readonly lengths: Record<BufferName, number>;

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
    if (script) checkTorchScriptFits(script);
    this.resolved = script
      ? { spec, layers: [], parameterCount: 0, statistics: [], nested: true, language: false }
      : resolveNetwork(spec);
    threadsForFirstNetwork(spec, dtype);
    settleDevice();
    this.dtype = dtype;
    this.native = new (addon().Network)(script ?? this.resolved.layers, dtype, seed);
    if (script) {
      // torch's generator seeded as for a layer list (whose native constructor seeds it before
      // drawing the weights): otherwise libtorch seeds it at random, and a module's dropout
      // masks, and the generator state a checkpoint keeps, would differ from run to run
      addon().manualSeed(seed);
      warnOfOtherState(script, this.native.otherState());
      // the module says what it holds: parameters, and batch norms by their names
      this.resolved.parameterCount = this.native.parameters().length;
      this.resolved.statistics = this.native
        .statisticsNames()
        .map(({ name, features }) => ({ layer: -1, name, features }));
    }
    this.device = this.native.device;
    this.zeroCopy = this.device === 'cpu' && zeroCopyViews();
    this.views = this.zeroCopy
      ? {
          parameters: this.native.parameters(),
          gradients: this.native.gradients(),
          statistics: this.native.statistics(),
          batchCounts: this.native.batchCounts(),
        }
      : null;
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
    const parameterCount = this.parameterTable.reduce((sum, p) => sum + p.size, 0);
    this.lengths = {
      parameters: parameterCount,
      gradients: parameterCount,
      statistics: offset,
      batchCounts: this.statisticsTable.length,
    };
    if (parameterCount !== this.resolved.parameterCount)
      throw new Error('gradscope: native parameter count disagrees with the layer list');
  }

  get name(): string {
    return this.resolved.spec.name;
  }

  get parameterCount(): number {
    return this.lengths.parameters;
  }

  /** w: every trainable parameter, in state_dict order, as a zero-copy view (CPU only).
   * Writes change the network. Code that must run on any device uses readParameters and
   * writeParameters instead. */
  get parameters(): FloatArray {
    return this.view('parameters');
  }

  /** The gradient left by the last `gradient` call, laid out as `parameters` (a view). */
  get gradients(): FloatArray {
    return this.view('gradients');
  }

  /** running_mean and running_var of every batch-norm layer, in order (a view). */
  get statistics(): FloatArray {
    return this.view('statistics');
  }

  /** num_batches_tracked of every batch-norm layer (a view). */
  get batchCounts(): BigInt64Array {
    return this.view('batchCounts');
  }

  /** A copy of w[offset, offset + length). */
  readParameters(offset = 0, length = this.lengths.parameters - offset): FloatArray {
    return this.read('parameters', this.floats(length), offset);
  }

  /** w[offset, offset + values.length) <- values. */
  writeParameters(values: ArrayLike<number>, offset = 0): void {
    this.write('parameters', this.asFloats(values), offset);
  }

  /** The gradient of the last `gradient` call, copied into `out` (or a new array). */
  readGradients(out: FloatArray = this.floats(this.lengths.gradients)): FloatArray {
    return this.read('gradients', out, 0);
  }

  /** A copy of the batch-norm statistics [offset, offset + length). */
  readStatistics(offset = 0, length = this.lengths.statistics - offset): FloatArray {
    return this.read('statistics', this.floats(length), offset);
  }

  /** statistics[offset, offset + values.length) <- values. */
  writeStatistics(values: ArrayLike<number>, offset = 0): void {
    this.write('statistics', this.asFloats(values), offset);
  }

  /** A copy of the batch counters [offset, offset + length). */
  readBatchCounts(offset = 0, length = this.lengths.batchCounts - offset): BigInt64Array {
    return this.read('batchCounts', new BigInt64Array(length), offset);
  }

  /** batchCounts[offset, offset + values.length) <- values. */
  writeBatchCounts(values: BigInt64Array, offset = 0): void {
    this.write('batchCounts', values, offset);
  }

  private view<K extends BufferName>(name: K): NonNullable<Network['views']>[K] {
    if (!this.views)
      throw new Error(
        `gradscope: network.${name} is a zero-copy view, which exists on the CPU only and with ` +
          `GRADSCOPE_ZERO_COPY unset (this network is on ${this.device}${this.device === 'cpu' ? ', views off' : ''}); use read/write${name[0]!.toUpperCase()}${name.slice(1)}`,
      );
    return this.views[name];
  }

  private read<T extends FloatArray | BigInt64Array>(name: BufferName, out: T, offset: number): T {
    this.checkRange(name, out.length, offset);
    if (this.views) out.set(this.views[name].subarray(offset, offset + out.length) as never);
    else this.native.read(name, out, offset);
    return out;
  }

  private write(name: BufferName, values: FloatArray | BigInt64Array, offset: number): void {
    this.checkRange(name, values.length, offset);
    if (this.views) this.views[name].set(values as never, offset);
    else this.native.write(name, values, offset);
  }

  private checkRange(name: BufferName, length: number, offset: number): void {
    const size = this.lengths[name];
    if (
      !Number.isSafeInteger(offset) ||
      offset < 0 ||
      !Number.isSafeInteger(length) ||
      length < 0 ||
      offset + length > size
    )
      throw expected(`a range inside [0, ${size})`, name, `[${offset}, ${offset + length})`);
  }

  private floats(length: number): FloatArray {
    return this.dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
  }

  /** values in the network's precision: the array itself when it already is. */
  private asFloats(values: ArrayLike<number>): FloatArray {
    const type = this.dtype === 'float32' ? Float32Array : Float64Array;
    return values instanceof type ? values : type.from(values);
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

  /** Class scores, one row of `classes` per example (a copy); a language model's: T rows of
   * `classes` next-token scores per window (N x T x V, row after row). */
  logits(data: Dataset, indices: Int32Array, options: PassOptions = {}): FloatArray {
    const { mode, chunk } = this.check(data, indices, options);
    if (mode === 'train') throw expected('"batch" or "population"', 'mode', mode);
    return this.native.logits(data.native, indices, mode, chunk);
  }

  /**
   * Recomputes the batch-norm running statistics from the examples at `indices`,
   * weights fixed: layer by layer, the exact per-channel mean and unbiased variance
   * of each batch-norm layer's input over those examples, the layers before it
   * already recalibrated. Evaluated `chunk` examples at a time (no effect on the result;
   * a TorchScript module: all at once, one pass for each batch norm).
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
    const { chunk } = this.check(data, indices, { mode: 'population', chunk: options.chunk });
    // one pass with every chunk's activations held, when they fit in 1 GiB; otherwise
    // each layer's inputs are recomputed from the data (same result, more compute)
    const widest = Math.max(...this.resolved.layers.map((l) => l.shape.reduce((a, b) => a * b, 1)));
    // (a TorchScript module: one pass over all the examples for each batch norm, nothing held)
    const keep =
      !this.resolved.spec.torchscript &&
      (options.holdActivations ??
        indices.length * widest * (this.dtype === 'float32' ? 4 : 8) <= 2 ** 30);
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
  const language = spec.layers[0]?.type === 'embedding';
  if (language !== (data.context !== null))
    throw new GradscopeInputError(
      language
        ? `network ${spec.name} is a language model, which takes token windows, but dataset ${data.name} holds images`
        : `network ${spec.name} takes images but dataset ${data.name} holds token windows (a language model starts with an embedding)`,
    );
  if (language) {
    // windows up to the model's context: position embeddings 0..T-1 of those it has
    const context = spec.input[2];
    if (data.context! > context)
      throw new GradscopeInputError(
        `dataset ${data.name} has windows of ${data.context} tokens, longer than network ${spec.name}'s context of ${context}`,
      );
    if (data.classes > spec.classes)
      throw new GradscopeInputError(
        `dataset ${data.name} has a vocabulary of ${data.classes} tokens but network ${spec.name} only ${spec.classes}`,
      );
    return;
  }
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

/** The loss sum and correct count of a pass over `count` examples, as a Measurement. */
export function measured(e: { lossSum: number; correct: number }, count: number): Measurement {
  return {
    loss: e.lossSum / count,
    lossSum: e.lossSum,
    correct: e.correct,
    count,
    accuracy: e.correct / count,
  };
}
