/**
 * Examples held once in native memory, gathered by index for every pass: images as float32 in
 * [0, 1] (or standardised), built from raw bytes as the readers in src/data/ produce them
 * (N x C x H x W pixels in record order, one label each); or token windows for a language
 * model, each `context + 1` token ids whose inputs are its first `context` ids and whose
 * targets its last `context` (next-token prediction at every position).
 */
import { expected, GradscopeInputError, isPositiveInteger } from '../core/errors';
import { addon, type NativeDataset } from './native';
import { settleDevice } from './device';

/** Images and their labels. */
export interface ImageSource {
  /** Pixels, N * C * H * W, record order, channel-planar: bytes (held as x / 255) or float32
   * values (held as they are). */
  pixels: Uint8Array | Float32Array;
  labels: Int32Array;
  /** One example's shape: [channels, height, width]. */
  shape: [number, number, number];
}

/**
 * Token windows: `count` windows of `context + 1` token ids each, row after row (the src/data/
 * token readers' output). Window i's inputs are its first `context` ids, its targets its last
 * `context` ids; every id lies in [0, classes), the vocabulary.
 * For example `Int32Array.of(97, 98, 99, 99, 97, 98)` with context 2 holds the windows "abc"
 * and "cab" (bytes): inputs "ab" and "ca", targets "bc" and "ab".
 */
export interface TokenSource {
  windows: Int32Array;
  context: number;
  /** The number of windows, when given: checked against windows.length / (context + 1). */
  count?: number;
}

/** Images or token windows. */
export type DatasetSource = ImageSource | TokenSource;

export class Dataset {
  /** Examples: images, or token windows. */
  readonly size: number;
  /** One example's shape: [channels, height, width] for images; for token windows
   * [1, 1, context], one row of `context` token ids (a language model's `input`), so that
   * shapes compare between sets and against a network's input as images' do. */
  readonly shape: [number, number, number];
  /** Token windows: the positions each predicts (T); null for images. */
  readonly context: number | null;
  /** @internal */
  readonly native: NativeDataset;

  /** `classes`: the number of classes, or a token source's vocabulary size. */
  constructor(
    readonly name: string,
    readonly classes: number,
    source: DatasetSource,
  ) {
    if (!isPositiveInteger(classes))
      throw expected('a positive integer', `${name}.classes`, classes);
    if (typeof source === 'object' && source !== null && 'windows' in source) {
      const { windows, context } = source;
      const count = checkTokens(name, classes, source);
      this.size = count;
      this.shape = [1, 1, context];
      this.context = context;
      settleDevice();
      this.native = new (addon().Dataset)(windows, context);
      return;
    }
    const { pixels, labels, shape } = source;
    if (!(pixels instanceof Uint8Array) && !(pixels instanceof Float32Array))
      throw expected('a Uint8Array or Float32Array', `${name}.pixels`, pixels);
    if (!(labels instanceof Int32Array) || labels.length === 0)
      throw expected('a non-empty Int32Array', `${name}.labels`, labels);
    if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(isPositiveInteger))
      throw expected('[channels, height, width]', `${name}.shape`, shape);
    const perExample = shape[0] * shape[1] * shape[2];
    if (pixels.length !== labels.length * perExample)
      throw new GradscopeInputError(
        `${name}: ${pixels.length} pixel bytes do not make ${labels.length} examples of ${shape.join('x')}`,
      );
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      if (label < 0 || label >= classes)
        throw new GradscopeInputError(
          `${name}: label ${label} of example ${i} is outside [0, ${classes})`,
        );
    }
    this.size = labels.length;
    this.shape = [shape[0], shape[1], shape[2]];
    this.context = null;
    settleDevice();
    this.native = new (addon().Dataset)(pixels, labels, shape[0], shape[1], shape[2]);
  }

  /** Per-channel mean and (population) standard deviation of the pixels as stored now. */
  channelStatistics(): { mean: number[]; std: number[] } {
    this.needImages('channel statistics');
    return this.native.channelStatistics();
  }

  /** x <- (x - mean[c]) / std[c] in place; use the training set's statistics for both sets. */
  standardise(stats: { mean: number[]; std: number[] }): void {
    this.needImages('standardisation');
    const channels = this.shape[0];
    const ok = (v: number[]): boolean =>
      Array.isArray(v) && v.length === channels && v.every((x) => Number.isFinite(x));
    if (!ok(stats.mean)) throw expected(`${channels} finite numbers`, 'mean', stats.mean);
    if (!ok(stats.std) || stats.std.some((s) => s <= 0))
      throw expected(`${channels} positive numbers`, 'std', stats.std);
    this.native.standardise(stats.mean, stats.std);
  }

  /** Every index 0..size-1, in order. */
  all(): Int32Array {
    const out = new Int32Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = i;
    return out;
  }

  checkIndices(indices: Int32Array): void {
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i]!;
      if (index < 0 || index >= this.size)
        throw new GradscopeInputError(
          `index ${index} at position ${i} is outside dataset ${this.name} of ${this.size} examples`,
        );
    }
  }

  private needImages(what: string): void {
    if (this.context !== null)
      throw new GradscopeInputError(
        `dataset ${this.name} holds token windows, which have no channels (${what} is for images)`,
      );
  }
}

/** The windows' count after checking their lengths and every token id against [0, vocabulary). */
function checkTokens(name: string, vocabulary: number, source: TokenSource): number {
  const { windows, context, count } = source;
  if (!(windows instanceof Int32Array) || windows.length === 0)
    throw expected('a non-empty Int32Array', `${name}.windows`, windows);
  if (!isPositiveInteger(context)) throw expected('a positive integer', `${name}.context`, context);
  const width = context + 1;
  if (windows.length % width !== 0)
    throw new GradscopeInputError(
      `${name}: ${windows.length} token ids do not make windows of context + 1 = ${width} ids`,
    );
  const windowCount = windows.length / width;
  if (count !== undefined && count !== windowCount)
    throw new GradscopeInputError(
      `${name}: ${windows.length} token ids make ${windowCount} windows of ${width}, not the ${count} stated`,
    );
  for (let i = 0; i < windows.length; i++) {
    const id = windows[i]!;
    if (id < 0 || id >= vocabulary)
      throw new GradscopeInputError(
        `${name}: token id ${id} at position ${i % width} of window ${Math.floor(i / width)} is outside the vocabulary [0, ${vocabulary})`,
      );
  }
  return windowCount;
}
