/**
 * The spectral density of the Hessian, phi(t) = (1/n) sum_i delta(t - lambda_i), by
 * stochastic Lanczos quadrature (Ubaru, Chen and Saad 2017; Ghorbani, Krishnan and Xiao
 * 2019; PyHessian's density):
 *
 * For each probe v_l (l = 1..N; Rademacher entries from rngFor(seed, 'slq', l), so
 * |v_l|^2 = n), m Lanczos steps from q_1 = v_l / sqrt(n) (lanczos.ts, full
 * reorthogonalisation) give T_m = Y diag(theta) Y^T; the m-point Gauss quadrature of
 * q_1^T delta(t - H) q_1 has nodes theta_{l,i} and weights tau_{l,i} = (e_1^T y_i)^2
 * (they sum to 1). The estimate is the mixture
 *   phi_hat = (1/N) sum_l sum_i tau_{l,i} delta(t - theta_{l,i}),
 * and for a figure it is Gaussian-broadened as PyHessian does:
 *   phi_sigma(t) = (1/N) sum_l sum_i tau_{l,i} N(t; theta_{l,i}, sigma^2),
 *   sigma^2 = 1e-5 max(1, lambda_max - lambda_min) (PyHessian's default), on a grid of
 *   `bins` points over [lambda_min - pad, lambda_max + pad], pad = 0.01 + 3 sigma; sigma is
 *   raised to 2 grid steps where the grid would be too coarse to show a bump.
 *
 * Moments: m-point Gauss quadrature is exact for polynomials of degree <= 2m - 1, so for
 * m >= 2 the mixture's first two moments are exactly Hutchinson's estimates with the same
 * probes, sum_i tau theta = v^T H v / n and sum_i tau theta^2 = |H v|^2 / n, of
 *   tr(H) / n and tr(H^2) / n,
 * with the standard errors of the probes' spread (s / sqrt(N)).
 */
import { rngFor } from '../data/random';
import { expected, isPositiveInteger } from '../core/errors';
import type { HessianOperator } from './hessian';
import { lanczosTridiagonal } from './lanczos';
import { tridiagonalEigen } from './tridiagonal-eigen';

export interface DensityOptions {
  probes: number;
  /** Lanczos steps per probe (m). */
  steps: number;
  seed: number;
  /** Points of the broadened curve. */
  bins: number;
  /** The broadening's variance; null: PyHessian's 1e-5 max(1, range). */
  variance: number | null;
  onProduct?: () => void;
}

export const DEFAULT_DENSITY: DensityOptions = {
  probes: 1,
  steps: 80,
  seed: 0,
  bins: 1000,
  variance: null,
};

export interface QuadratureProbe {
  nodes: number[];
  weights: number[];
}

export interface SpectralDensity {
  method: string;
  parameters: number;
  probes: QuadratureProbe[];
  steps: number;
  /** Estimates of tr(H)/n and tr(H^2)/n, with their standard errors over the probes. */
  moments: { first: number; firstError: number; second: number; secondError: number };
  broadening: { sigma: number; bins: number };
  /** The broadened density: phi_sigma(grid[i]) = density[i]. */
  grid: number[];
  density: number[];
  products: number;
}

export function checkDensityOptions(o: DensityOptions): void {
  if (!isPositiveInteger(o.probes))
    throw expected('a positive integer', 'density probes', o.probes);
  if (!isPositiveInteger(o.steps) || o.steps < 2)
    throw expected('an integer of at least 2', 'density steps', o.steps);
  if (!isPositiveInteger(o.bins) || o.bins < 2)
    throw expected('an integer of at least 2', 'density bins', o.bins);
  if (o.variance !== null && !(o.variance > 0 && o.variance < Infinity))
    throw expected('a positive number or null', 'density variance', o.variance);
}

export function rademacherProbe(seed: number, purpose: string, q: number, out: Float64Array): void {
  const rng = rngFor(seed, purpose, q);
  let bits = 0;
  for (let i = 0; i < out.length; i++) {
    if (i % 32 === 0) bits = rng.nextUint32();
    out[i] = bits & 1 ? 1 : -1;
    bits >>>= 1;
  }
}

function meanAndError(xs: number[]): [number, number] {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  if (xs.length < 2) return [mean, NaN];
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
  return [mean, Math.sqrt(variance / xs.length)];
}

/** The quadrature of each probe (nodes ascending, weights summing to 1). */
export async function lanczosQuadrature(
  apply: HessianOperator,
  n: number,
  o: DensityOptions,
): Promise<{ probes: QuadratureProbe[]; products: number }> {
  checkDensityOptions(o);
  const probes: QuadratureProbe[] = [];
  let products = 0;
  for (let l = 1; l <= o.probes; l++) {
    const q1 = new Float64Array(n);
    rademacherProbe(o.seed, 'slq', l, q1);
    const scale = 1 / Math.sqrt(n);
    for (let i = 0; i < n; i++) q1[i] = q1[i]! * scale;
    const run = await lanczosTridiagonal(apply, q1, o.steps, undefined, () => {
      products++;
      o.onProduct?.();
    });
    const t = tridiagonalEigen(run.alpha, run.beta);
    probes.push({
      nodes: Array.from(t.values),
      weights: t.vectors.map((y) => y[0]! ** 2),
    });
  }
  return { probes, products };
}

/** The broadened curve and the moments of a set of quadratures. */
export function densityFromQuadrature(
  probes: QuadratureProbe[],
  n: number,
  steps: number,
  o: Pick<DensityOptions, 'bins' | 'variance'>,
  products = 0,
): SpectralDensity {
  const nodes = probes.flatMap((p) => p.nodes);
  const low = Math.min(...nodes);
  const high = Math.max(...nodes);
  const range = high - low;
  let sigma = Math.sqrt(o.variance ?? 1e-5 * Math.max(1, range));
  const pad = 0.01 + 3 * sigma;
  const step0 = (range + 2 * pad) / (o.bins - 1);
  if (sigma < 2 * step0) sigma = 2 * step0;
  const start = low - 0.01 - 3 * sigma;
  const stop = high + 0.01 + 3 * sigma;
  const step = (stop - start) / (o.bins - 1);
  const grid = Array.from({ length: o.bins }, (_, i) => start + i * step);
  const density = new Array<number>(o.bins).fill(0);
  const norm = 1 / (probes.length * sigma * Math.sqrt(2 * Math.PI));
  for (const p of probes)
    p.nodes.forEach((theta, i) => {
      const w = p.weights[i]! * norm;
      const from = Math.max(0, Math.floor((theta - 8 * sigma - start) / step));
      const to = Math.min(o.bins - 1, Math.ceil((theta + 8 * sigma - start) / step));
      for (let g = from; g <= to; g++)
        density[g] = density[g]! + w * Math.exp(-(((grid[g]! - theta) / sigma) ** 2) / 2);
    });
  const [first, firstError] = meanAndError(
    probes.map((p) => p.nodes.reduce((s, t, i) => s + p.weights[i]! * t, 0)),
  );
  const [second, secondError] = meanAndError(
    probes.map((p) => p.nodes.reduce((s, t, i) => s + p.weights[i]! * t * t, 0)),
  );
  return {
    method:
      'stochastic Lanczos quadrature (Rademacher probes, full reorthogonalisation), Gaussian-broadened',
    parameters: n,
    probes,
    steps,
    moments: { first, firstError, second, secondError },
    broadening: { sigma, bins: o.bins },
    grid,
    density,
    products,
  };
}

export async function spectralDensity(
  apply: HessianOperator,
  n: number,
  options: Partial<DensityOptions> = {},
): Promise<SpectralDensity> {
  const o = { ...DEFAULT_DENSITY, ...options };
  const { probes, products } = await lanczosQuadrature(apply, n, o);
  // fewer steps than asked where Lanczos met an invariant subspace (at most n in all)
  const steps = Math.max(...probes.map((p) => p.nodes.length));
  return densityFromQuadrature(probes, n, steps, o, products);
}

/**
 * Wasserstein-1 distance between two discrete measures on the line,
 *   W1 = integral |F_a(t) - F_b(t)| dt,
 * F the cumulative distribution functions (each measure's weights are normalised to 1).
 */
export function wasserstein1(
  a: { nodes: number[]; weights: number[] },
  b: { nodes: number[]; weights: number[] },
): number {
  const total = (w: number[]) => w.reduce((s, x) => s + x, 0);
  const ta = total(a.weights);
  const tb = total(b.weights);
  const atoms = [
    ...a.nodes.map((t, i) => ({ t, w: a.weights[i]! / ta })),
    ...b.nodes.map((t, i) => ({ t, w: -b.weights[i]! / tb })),
  ].sort((x, y) => x.t - y.t);
  let cumulative = 0;
  let distance = 0;
  for (let i = 0; i < atoms.length - 1; i++) {
    cumulative += atoms[i]!.w;
    distance += Math.abs(cumulative) * (atoms[i + 1]!.t - atoms[i]!.t);
  }
  return distance;
}

/** The mixture phi_hat as one measure (nodes of every probe, weights / N). */
export function quadratureMeasure(probes: QuadratureProbe[]): {
  nodes: number[];
  weights: number[];
} {
  return {
    nodes: probes.flatMap((p) => p.nodes),
    weights: probes.flatMap((p) => p.weights.map((w) => w / probes.length)),
  };
}
