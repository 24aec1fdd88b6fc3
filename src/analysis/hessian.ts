/**
 * The Hessian H of f(w) = (1/|S|) sum_{i in S} loss_i(w) at one state w, seen only
 * through Hessian-vector products (double backward, Network.hessianVector), as in
 * PyHessian (Yao, Gholami, Keutzer and Mahoney 2020):
 *
 * - Top-k eigenvalues by power iteration with deflation: for j = 1..k, start from
 *   v ~ N(0, I) (stream rngFor(seed, 'hessian-power', j)), and repeat
 *     v <- v - sum_{i<j} (v_i . v) v_i,  v <- v / |v|,  u = H v,  lambda = v . u,  v <- u
 *   until |lambda - lambda_prev| <= tol |lambda_prev| (converged) or maxIterations
 *   products. Projecting out the eigenvectors already found makes the iteration find
 *   the next eigenvalue; power iteration finds eigenvalues largest in MAGNITUDE, which
 *   near a minimum (H nearly positive semi-definite) are the largest ones.
 * - The trace by Hutchinson's estimator: tr(H) = E[v^T H v] for v with independent
 *   Rademacher (+-1) entries (probe q from the stream rngFor(seed, 'hutchinson', q));
 *   the mean over N probes, with standard error s / sqrt(N), s the sample standard
 *   deviation. (Var v^T H v = 2 sum_{i != j} H_ij^2, so diagonal H gives it exactly.)
 *
 * All algebra is float64; each product copies v to the network's dtype and back.
 * Lanczos (lanczos.ts) finds the same top eigenvalues in several times fewer products and
 * is the default of the sharpness measurement; power iteration stays as an option.
 */
import { rngFor } from '../data/random';
import type { Dataset } from '../engine/dataset';
import { expected, isNonNegativeInteger, isPositiveInteger } from '../core/errors';
import type { Network, PassOptions } from '../engine/network';
import { dot, norm } from '../engine/vector';
import { throwIfStopped } from '../train/stop';
import { NormalStreams } from './normal-streams';

/** out = H v (out is overwritten). */
export type HessianOperator = (v: Float64Array, out: Float64Array) => void;

export interface EigenOptions {
  topK: number;
  maxIterations: number;
  /** Relative change of the eigenvalue estimate at which an iteration has converged. */
  tolerance: number;
  seed: number;
  onProduct?: () => void;
}

export const DEFAULT_EIGEN: EigenOptions = {
  topK: 3,
  maxIterations: 100,
  tolerance: 1e-3,
  seed: 0,
};

export interface Eigenvalue {
  value: number;
  /** Hessian-vector products spent on this eigenvalue. */
  iterations: number;
  converged: boolean;
}

export interface TraceEstimate {
  method: 'Hutchinson, Rademacher probes';
  trace: number;
  /** Sample standard deviation of v^T H v over the probes, divided by sqrt(probes). */
  standardError: number;
  probes: number;
  seed: number;
}

export function checkEigenOptions(o: EigenOptions, n: number): void {
  if (!isNonNegativeInteger(o.topK) || o.topK > n)
    throw expected(`an integer from 0 to ${n} (the parameter count)`, 'top k', o.topK);
  if (!isPositiveInteger(o.maxIterations))
    throw expected('a positive integer', 'power iterations', o.maxIterations);
  if (typeof o.tolerance !== 'number' || !(o.tolerance > 0 && o.tolerance < 1))
    throw expected('a number in (0, 1)', 'tolerance', o.tolerance);
}

/** At least 2 probes, for a standard error; 0 where the caller skips the trace. */
export function checkProbes(probes: number, option = 'Hutchinson probes', allowZero = false): void {
  if (!isNonNegativeInteger(probes) || probes === 1 || (probes === 0 && !allowZero))
    throw expected(
      allowZero ? '0 (no trace) or an integer of at least 2' : 'an integer of at least 2',
      option,
      probes,
    );
}

/**
 * H v through the network, on the examples `indices` of `set`.
 *
 * @example
 * ```ts
 * import { hessianOperator, loadData, Network, networkSpec } from 'gradscope';
 * const data = loadData('mnist');
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const apply = hessianOperator(network, data.train, data.train.all().subarray(0, 5000), {
 *   mode: 'population',
 * });
 * const v = new Float64Array(network.parameterCount).fill(1);
 * const hv = new Float64Array(network.parameterCount);
 * apply(v, hv); // hv = H v
 * ```
 */
export function hessianOperator(
  network: Network,
  set: Dataset,
  indices: Int32Array,
  pass: PassOptions,
): HessianOperator {
  const vIn = network.readParameters().fill(0);
  const vOut = vIn.slice();
  return (v, out) => {
    vIn.set(v);
    network.hessianVector(set, indices, vIn, vOut, pass);
    out.set(vOut);
  };
}

/** out <- out - sum_i (basis_i . out) basis_i, for orthonormal basis vectors. */
function projectOut(basis: Float64Array[], out: Float64Array): void {
  for (const b of basis) {
    const c = dot(b, out);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! - c * b[i]!;
  }
}

function scaleToUnit(v: Float64Array): boolean {
  const length = norm(v);
  if (!(length > 0) || !Number.isFinite(length)) return false;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / length;
  return true;
}

/**
 * The k eigenvalues of largest magnitude, in the order found; eigenvectors kept for deflation.
 *
 * @example
 * ```ts
 * import { hessianOperator, loadData, Network, networkSpec, topEigenvalues } from 'gradscope';
 * const data = loadData('mnist');
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const apply = hessianOperator(network, data.train, data.train.all().subarray(0, 5000), {
 *   mode: 'population',
 * });
 * const [top] = await topEigenvalues(apply, network.parameterCount, {
 *   topK: 1,
 *   maxIterations: 100,
 *   tolerance: 1e-4,
 *   seed: 0,
 * });
 * console.log(`lambda_max = ${top.value} after ${top.iterations} products`);
 * ```
 */
export async function topEigenvalues(
  apply: HessianOperator,
  n: number,
  options: EigenOptions,
): Promise<Eigenvalue[]> {
  checkEigenOptions(options, n);
  const found: Float64Array[] = [];
  const result: Eigenvalue[] = [];
  const starts = new NormalStreams(options.seed, 'hessian-power', options.topK + 1);
  for (let j = 1; j <= options.topK; j++) {
    let v = new Float64Array(n);
    starts.fill(j, v, 0, n);
    let u = new Float64Array(n);
    let value = NaN;
    let iterations = 0;
    let converged = false;
    while (iterations < options.maxIterations) {
      projectOut(found, v);
      if (!scaleToUnit(v)) {
        // H v vanished on the complement of what was found: the rest of the spectrum is 0
        value = 0;
        converged = true;
        break;
      }
      await throwIfStopped(
        () =>
          `before Hessian-vector product ${iterations + 1} of eigenvalue ${j} (power iteration)`,
      );
      apply(v, u);
      iterations++;
      options.onProduct?.();
      const previous = value;
      value = dot(v, u);
      [v, u] = [u, v];
      if (Math.abs(value - previous) <= options.tolerance * Math.abs(previous)) {
        converged = true;
        break;
      }
    }
    // v = H v_last: the next, better estimate of the eigenvector (zero if lambda = 0)
    projectOut(found, v);
    if (scaleToUnit(v)) found.push(v);
    result.push({ value, iterations, converged });
  }
  return result;
}

/**
 * Hutchinson's estimate of tr(H) from `probes` Rademacher vectors.
 *
 * @example
 * ```ts
 * import { hessianOperator, hutchinsonTrace, loadData, Network, networkSpec } from 'gradscope';
 * const data = loadData('mnist');
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const apply = hessianOperator(network, data.train, data.train.all().subarray(0, 5000), {
 *   mode: 'population',
 * });
 * const t = await hutchinsonTrace(apply, network.parameterCount, 20, 0);
 * console.log(`tr(H) = ${t.trace} +- ${t.standardError}`);
 * ```
 */
export async function hutchinsonTrace(
  apply: HessianOperator,
  n: number,
  probes: number,
  seed: number,
  onProduct?: () => void,
): Promise<TraceEstimate> {
  checkProbes(probes);
  const v = new Float64Array(n);
  const hv = new Float64Array(n);
  const samples: number[] = [];
  for (let q = 0; q < probes; q++) {
    const rng = rngFor(seed, 'hutchinson', q);
    let bits = 0;
    for (let i = 0; i < n; i++) {
      if (i % 32 === 0) bits = rng.nextUint32();
      v[i] = bits & 1 ? 1 : -1;
      bits >>>= 1;
    }
    await throwIfStopped(
      () => `before Hessian-vector product ${q + 1} of ${probes} (Hutchinson's trace)`,
    );
    apply(v, hv);
    onProduct?.();
    samples.push(dot(v, hv));
  }
  const mean = samples.reduce((s, x) => s + x, 0) / probes;
  const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (probes - 1);
  return {
    method: 'Hutchinson, Rademacher probes',
    trace: mean,
    standardError: Math.sqrt(variance / probes),
    probes,
    seed,
  };
}
