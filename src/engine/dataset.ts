/**
 * Examples held once in native memory as float32 in [0, 1] (or standardised),
 * gathered by index for every pass. Built from raw bytes as the readers in
 * src/data/ produce them: N x C x H x W pixels in record order, one label each.
 */
import { expected, GradscopeInputError, isPositiveInteger } from '../core/errors';
import { addon, type NativeDataset } from './native';
import { settleDevice } from './device';

export interface DatasetSource {
  /** Pixels, N * C * H * W, record order, channel-planar: bytes (held as x / 255) or float32
   * values (held as they are). */
  pixels: Uint8Array | Float32Array;
  labels: Int32Array;
  /** One example's shape: [channels, height, width]. */
  shape: [number, number, number];
}

export class Dataset {
  readonly size: number;
  readonly shape: [number, number, number];
  /** @internal */
  readonly native: NativeDataset;

  constructor(
    readonly name: string,
    readonly classes: number,
    source: DatasetSource,
  ) {
    const { pixels, labels, shape } = source;
    if (!(pixels instanceof Uint8Array) && !(pixels instanceof Float32Array))
      throw expected('a Uint8Array or Float32Array', `${name}.pixels`, pixels);
    if (!(labels instanceof Int32Array) || labels.length === 0)
      throw expected('a non-empty Int32Array', `${name}.labels`, labels);
    if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(isPositiveInteger))
      throw expected('[channels, height, width]', `${name}.shape`, shape);
    if (!isPositiveInteger(classes))
      throw expected('a positive integer', `${name}.classes`, classes);
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
    settleDevice();
    this.native = new (addon().Dataset)(pixels, labels, shape[0], shape[1], shape[2]);
  }

  /** Per-channel mean and (population) standard deviation of the pixels as stored now. */
  channelStatistics(): { mean: number[]; std: number[] } {
    return this.native.channelStatistics();
  }

  /** x <- (x - mean[c]) / std[c] in place; use the training set's statistics for both sets. */
  standardise(stats: { mean: number[]; std: number[] }): void {
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
}
