/**
 * Smoothout (Wen et al. 2018): each step draws theta ~ U(-a, a)^n, computes the
 * gradient at w + theta, restores w exactly (from a copy, not by subtracting) and
 * applies the update at w. AdaSmoothout scales the noise of each filter / neuron
 * by that filter's norm: for a weight tensor, row r (an output filter or neuron)
 * gets theta_r * |w_r|; a one-dimensional parameter (bias, batch-norm scale or
 * shift) gets theta_i * |w_i|.
 *
 * The amplitude is constant or annealed linearly from a to 0 over the training
 * epochs. At amplitude 0 nothing is drawn, so training is bit-identical to plain
 * training (torch's random stream, which dropout also uses, is left untouched).
 */
import { expected } from '../core/errors';
import { addon, type FloatArray } from '../engine/native';
import type { Network } from '../engine/network';

export interface SmoothoutSpec {
  amplitude: number;
  adaptive: boolean;
  anneal: 'constant' | 'linear';
}

export function checkSmoothout(spec: SmoothoutSpec, option = 'smoothout'): void {
  if (
    typeof spec.amplitude !== 'number' ||
    !(spec.amplitude >= 0) ||
    !Number.isFinite(spec.amplitude)
  )
    throw expected('a non-negative number', `${option}.amplitude`, spec.amplitude);
  if (typeof spec.adaptive !== 'boolean')
    throw expected('true or false', `${option}.adaptive`, spec.adaptive);
  if (spec.anneal !== 'constant' && spec.anneal !== 'linear')
    throw expected('"constant" or "linear"', `${option}.anneal`, spec.anneal);
}

/** The amplitude during `epoch` of `epochs` (1-based): linear goes a, ..., a/epochs. */
export function amplitudeAt(spec: SmoothoutSpec, epoch: number, epochs: number): number {
  if (spec.anneal === 'constant') return spec.amplitude;
  return (spec.amplitude * (epochs - epoch + 1)) / epochs;
}

export class Smoothout {
  private readonly saved: FloatArray;
  /** The last perturbation drawn (theta, after AdaSmoothout's scaling). */
  readonly theta: FloatArray;
  private readonly scale: FloatArray | undefined;

  constructor(
    private readonly network: Network,
    adaptive: boolean,
  ) {
    const make = () =>
      network.dtype === 'float32'
        ? new Float32Array(network.parameterCount)
        : new Float64Array(network.parameterCount);
    this.saved = make();
    this.theta = make();
    this.scale = adaptive ? make() : undefined;
  }

  /** w <- w + theta with theta ~ U(-a, a)^n (scaled per filter when adaptive). */
  perturb(amplitude: number): void {
    if (amplitude === 0) return;
    const w = this.network.readParameters();
    this.saved.set(w);
    addon().uniform(this.theta, -amplitude, amplitude);
    if (this.scale) {
      this.filterNorms(w, this.scale);
      for (let i = 0; i < w.length; i++) this.theta[i] = this.theta[i]! * this.scale[i]!;
    }
    for (let i = 0; i < w.length; i++) w[i] = w[i]! + this.theta[i]!;
    this.network.writeParameters(w);
  }

  /** w <- the w saved by perturb, bit for bit. */
  restore(amplitude: number): void {
    if (amplitude === 0) return;
    this.network.writeParameters(this.saved);
  }

  /** For each parameter, the norm of its filter (row) or its own magnitude. */
  private filterNorms(w: FloatArray, out: FloatArray): void {
    for (const p of this.network.parameterTable) {
      const rows = p.shape.length >= 2 ? p.shape[0]! : p.size;
      const width = p.size / rows;
      for (let r = 0; r < rows; r++) {
        const start = p.offset + r * width;
        let s = 0;
        for (let i = start; i < start + width; i++) s += w[i]! * w[i]!;
        out.fill(Math.sqrt(s), start, start + width);
      }
    }
  }
}
