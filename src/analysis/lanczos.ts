/**
 * The top-k eigenpairs of the Hessian H (seen only through H v) by the Lanczos method
 * with full reorthogonalisation, all in float64 (Lanczos 1950; Golub and Van Loan,
 * section 10.1; Paige 1972 for why the reorthogonalisation):
 *
 *   q_1 = v / |v|, v ~ N(0, I) (stream rngFor(seed, 'lanczos', 1)), beta_0 q_0 = 0;
 *   for j = 1, 2, ...: u = H q_j, alpha_j = q_j . u, u <- u - alpha_j q_j - beta_{j-1} q_{j-1},
 *     then u <- u - sum_{i<=j} (q_i . u) q_i twice (full reorthogonalisation),
 *     beta_j = |u|, q_{j+1} = u / beta_j.
 *
 * Q_m^T H Q_m = T_m, tridiagonal (alpha on the diagonal, beta off it). Its eigenpairs
 * (theta_i, y_i) (tridiagonal-eigen.ts) give the Ritz pairs (theta_i, Q_m y_i), and
 *   |H Q_m y_i - theta_i Q_m y_i| = beta_m |e_m^T y_i|
 * (the Lanczos residual estimate, exact in exact arithmetic). The iteration stops when the
 * k largest Ritz values all have beta_m |e_m^T y_i| <= tolerance max_i |theta_i|, or when
 * beta_m vanishes (Q_m spans an invariant subspace: the Ritz pairs are exact), or after
 * maxSteps products. `residuals: 'exact'` then spends one more product per returned pair
 * on the true residual |H x - theta x|; 'estimate' reports beta_m |e_m^T y_i|.
 *
 * Returned: the k largest (algebraic) eigenvalues, descending; near a minimum H is nearly
 * positive semi-definite and these are also the largest in magnitude, which power
 * iteration (hessian.ts) finds. Memory: m vectors of n float64s.
 */
import { expected, isNonNegativeInteger, isPositiveInteger } from '../core/errors';
import { dot, norm } from '../engine/vector';
import { throwIfStopped } from '../train/stop';
import type { HessianOperator } from './hessian';
import { NormalStreams } from './normal-streams';
import { tridiagonalEigen } from './tridiagonal-eigen';

export interface LanczosOptions {
  topK: number;
  /** The most Lanczos steps (Hessian-vector products before the residuals). */
  maxSteps: number;
  /** Stop when every wanted Ritz pair's residual estimate is below tolerance * max |theta|. */
  tolerance: number;
  residuals: 'exact' | 'estimate';
  seed: number;
  onProduct?: () => void;
}

export const DEFAULT_LANCZOS: LanczosOptions = {
  topK: 3,
  maxSteps: 100,
  tolerance: 1e-4,
  residuals: 'exact',
  seed: 0,
};

export interface EigenPair {
  value: number;
  /** |H x - lambda x| (exact) or beta_m |e_m^T y| (estimate), as `residualKind` says. */
  residual: number;
  residualKind: 'exact' | 'estimate';
  converged: boolean;
  vector: Float64Array;
}

export interface LanczosResult {
  pairs: EigenPair[];
  /** Lanczos steps taken (one product each). */
  steps: number;
  /** All products, the exact residuals included. */
  products: number;
  /** T_m: the diagonal and the off-diagonal. */
  alpha: number[];
  beta: number[];
}

export function checkLanczosOptions(o: LanczosOptions, n: number): void {
  if (!isNonNegativeInteger(o.topK) || o.topK > n)
    throw expected(`an integer from 0 to ${n} (the parameter count)`, 'top k', o.topK);
  if (!isPositiveInteger(o.maxSteps))
    throw expected('a positive integer', 'Lanczos steps', o.maxSteps);
  if (o.maxSteps < o.topK)
    throw expected(`at least top k (${o.topK})`, 'Lanczos steps', o.maxSteps);
  if (typeof o.tolerance !== 'number' || !(o.tolerance > 0 && o.tolerance < 1))
    throw expected('a number in (0, 1)', 'tolerance', o.tolerance);
  if (o.residuals !== 'exact' && o.residuals !== 'estimate')
    throw expected('"exact" or "estimate"', 'residuals', o.residuals);
}

/** u <- u - sum_i (q_i . u) q_i. */
function orthogonalise(basis: Float64Array[], u: Float64Array): void {
  for (const q of basis) {
    const c = dot(q, u);
    for (let i = 0; i < u.length; i++) u[i] = u[i]! - c * q[i]!;
  }
}

/**
 * m steps of Lanczos from the unit vector q1 (full reorthogonalisation). Stops early at an
 * invariant subspace, or when `done(alpha, beta_m)` says so after a step.
 */
export async function lanczosTridiagonal(
  apply: HessianOperator,
  q1: Float64Array,
  maxSteps: number,
  done: (alpha: number[], beta: number[], nextBeta: number) => boolean = () => false,
  onProduct?: () => void,
): Promise<{ basis: Float64Array[]; alpha: number[]; beta: number[]; nextBeta: number }> {
  const n = q1.length;
  const basis: Float64Array[] = [q1];
  const alpha: number[] = [];
  const beta: number[] = [];
  let nextBeta = 0;
  const steps = Math.min(maxSteps, n);
  for (let j = 0; j < steps; j++) {
    const q = basis[j]!;
    const u = new Float64Array(n);
    await throwIfStopped(() => `before Hessian-vector product ${j + 1} (Lanczos step)`);
    apply(q, u);
    onProduct?.();
    const a = dot(q, u);
    alpha.push(a);
    for (let i = 0; i < n; i++) u[i] = u[i]! - a * q[i]!;
    if (j > 0) {
      const previous = basis[j - 1]!;
      const b = beta[j - 1]!;
      for (let i = 0; i < n; i++) u[i] = u[i]! - b * previous[i]!;
    }
    orthogonalise(basis, u);
    orthogonalise(basis, u);
    nextBeta = norm(u);
    const scale = Math.max(...alpha.map(Math.abs), ...beta, 1e-300);
    if (!(nextBeta > 1e-12 * scale) || j === steps - 1 || done(alpha, beta, nextBeta)) break;
    for (let i = 0; i < n; i++) u[i] = u[i]! / nextBeta;
    beta.push(nextBeta);
    basis.push(u);
  }
  basis.length = alpha.length;
  return { basis, alpha, beta, nextBeta };
}

export async function lanczosTopEigen(
  apply: HessianOperator,
  n: number,
  options: LanczosOptions,
): Promise<LanczosResult> {
  const o = options;
  checkLanczosOptions(o, n);
  if (o.topK === 0) return { pairs: [], steps: 0, products: 0, alpha: [], beta: [] };
  const q1 = new Float64Array(n);
  new NormalStreams(o.seed, 'lanczos', 2).fill(1, q1, 0, n);
  const length = norm(q1);
  for (let i = 0; i < n; i++) q1[i] = q1[i]! / length;

  const estimates = (alpha: number[], beta: number[], nextBeta: number) => {
    const t = tridiagonalEigen(alpha, beta);
    const m = alpha.length;
    const top: { value: number; y: Float64Array; residual: number }[] = [];
    for (let j = m - 1; j >= Math.max(0, m - o.topK); j--)
      top.push({
        value: t.values[j]!,
        y: t.vectors[j]!,
        residual: nextBeta * Math.abs(t.vectors[j]![m - 1]!),
      });
    const scale = Math.max(...Array.from(t.values, Math.abs));
    return { top, scale };
  };
  let products = 0;
  const onProduct = (): void => {
    products++;
    o.onProduct?.();
  };
  const run = await lanczosTridiagonal(
    apply,
    q1,
    o.maxSteps,
    (alpha, beta, nextBeta) => {
      if (alpha.length < o.topK) return false;
      const { top, scale } = estimates(alpha, beta, nextBeta);
      return top.every((p) => p.residual <= o.tolerance * scale);
    },
    onProduct,
  );
  const steps = run.alpha.length;
  const invariant = !(
    run.nextBeta >
    1e-12 * Math.max(...run.alpha.map(Math.abs), ...run.beta, 1e-300)
  );
  const { top, scale } = estimates(run.alpha, run.beta, invariant ? 0 : run.nextBeta);
  const hx = new Float64Array(n);
  const pairs: EigenPair[] = [];
  for (const { value, y, residual } of top) {
    const x = new Float64Array(n);
    run.basis.forEach((q, i) => {
      const c = y[i]!;
      for (let r = 0; r < n; r++) x[r] = x[r]! + c * q[r]!;
    });
    const length = norm(x);
    for (let r = 0; r < n; r++) x[r] = x[r]! / length;
    const converged = residual <= o.tolerance * scale;
    if (o.residuals === 'estimate') {
      pairs.push({ value, residual, residualKind: 'estimate', converged, vector: x });
      continue;
    }
    await throwIfStopped(() => `before the Hessian-vector product of a residual (Lanczos)`);
    apply(x, hx);
    onProduct();
    let s = 0;
    for (let r = 0; r < n; r++) s += (hx[r]! - value * x[r]!) ** 2;
    pairs.push({ value, residual: Math.sqrt(s), residualKind: 'exact', converged, vector: x });
  }
  return { pairs, steps, products, alpha: run.alpha, beta: run.beta };
}
