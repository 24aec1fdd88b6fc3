/**
 * Eigenvalues and eigenvectors of a small dense symmetric matrix A (n x n, row-major) by
 * cyclic Jacobi rotations (Jacobi 1846; Golub and Van Loan, section 8.5): each rotation
 * in the (p, q) plane, with t = tan(phi) the smaller root of t^2 + 2 theta t - 1 = 0,
 * theta = (a_qq - a_pp) / (2 a_pq), zeroes a_pq; sweeps repeat until the off-diagonal
 * Frobenius norm is below 1e-15 of the whole. A = V diag(lambda) V^T, V accumulated.
 *
 * For the m x m Gram matrix of trajectory.ts (m checkpoints) and the dense Hessians of
 * the tests: n is at most a few hundred.
 */
import { expected } from '../core/errors';

export interface SymmetricEigen {
  /** Descending. */
  values: Float64Array;
  /** vectors[j]: the unit eigenvector of values[j]. */
  vectors: Float64Array[];
}

export function symmetricEigen(matrix: ArrayLike<number>, n: number): SymmetricEigen {
  if (matrix.length !== n * n) throw expected(`an ${n} x ${n} matrix`, 'matrix', matrix.length);
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i]! ** 2;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) off += a[i * n + j]! ** 2;
    if (off <= 1e-30 * total) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, j) => j).sort(
    (x, y) => a[y * n + y]! - a[x * n + x]!,
  );
  return {
    values: Float64Array.from(order, (j) => a[j * n + j]!),
    vectors: order.map((j) => Float64Array.from({ length: n }, (_, k) => v[k * n + j]!)),
  };
}
