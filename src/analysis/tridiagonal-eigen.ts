/**
 * Eigenvalues and eigenvectors of a symmetric tridiagonal matrix T (diagonal a_0..a_{m-1},
 * off-diagonal b_0..b_{m-2}, T_{i,i+1} = T_{i+1,i} = b_i) by the QL algorithm with implicit
 * Wilkinson shifts (Bowdler, Martin, Reinsch and Wilkinson 1968; "tqli" of Numerical
 * Recipes, section 11.3): repeated orthogonal similarity transforms T <- Q^T T Q, each a
 * chase of Givens rotations, until every off-diagonal entry is negligible,
 *   |b_l| <= eps (|a_l| + |a_{l+1}|).
 * The rotations are accumulated into Z (starting from I), so T = Z diag(lambda) Z^T.
 *
 * This is the small eigenproblem of Lanczos (lanczos.ts) and of stochastic Lanczos
 * quadrature (spectral-density.ts): m is tens, so O(m^2) per sweep costs nothing.
 */
import { expected } from '../core/errors';

export interface TridiagonalEigen {
  /** Ascending. */
  values: Float64Array;
  /** vectors[j] is the unit eigenvector of values[j] (length m). */
  vectors: Float64Array[];
}

export function tridiagonalEigen(
  diagonal: ArrayLike<number>,
  offDiagonal: ArrayLike<number>,
): TridiagonalEigen {
  const m = diagonal.length;
  if (m === 0 || offDiagonal.length !== m - 1)
    throw expected(
      `an off-diagonal of length ${Math.max(0, m - 1)}`,
      'tridiagonal',
      offDiagonal.length,
    );
  const d = Float64Array.from(diagonal);
  const e = new Float64Array(m);
  for (let i = 0; i < m - 1; i++) e[i] = offDiagonal[i]!;
  // z[k * m + j]: row k of eigenvector j
  const z = new Float64Array(m * m);
  for (let i = 0; i < m; i++) z[i * m + i] = 1;
  for (let l = 0; l < m; l++) {
    for (let iteration = 0; ; iteration++) {
      let k = l;
      for (; k < m - 1; k++) {
        const dd = Math.abs(d[k]!) + Math.abs(d[k + 1]!);
        if (Math.abs(e[k]!) <= Number.EPSILON * dd) break;
      }
      if (k === l) break;
      if (iteration === 60)
        throw new Error('gradscope: tridiagonal QL did not converge in 60 iterations');
      // Wilkinson shift from the leading 2x2 block
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = Math.hypot(g, 1);
      g = d[k]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = k - 1;
      for (; i >= l; i--) {
        let f = s * e[i]!;
        const b = c * e[i]!;
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // underflow: deflate and restart this eigenvalue
          d[i + 1] = d[i + 1]! - p;
          e[k] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        for (let row = 0; row < m; row++) {
          f = z[row * m + i + 1]!;
          z[row * m + i + 1] = s * z[row * m + i]! + c * f;
          z[row * m + i] = c * z[row * m + i]! - s * f;
        }
      }
      if (r === 0 && i >= l) continue;
      d[l] = d[l]! - p;
      e[l] = g;
      e[k] = 0;
    }
  }
  const order = Array.from({ length: m }, (_, j) => j).sort((x, y) => d[x]! - d[y]!);
  return {
    values: Float64Array.from(order, (j) => d[j]!),
    vectors: order.map((j) => Float64Array.from({ length: m }, (_, row) => z[row * m + j]!)),
  };
}
