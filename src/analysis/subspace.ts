/**
 * A random p-dimensional subspace of weight space, for Keskar et al.'s sharpness in a
 * random manifold: A = [a_1 ... a_p] (n x p), a_j = r_j / |r_j|, r_j ~ N(0, I_n) drawn
 * from the stream rngFor(seed, 'subspace', j) (normal-streams.ts).
 *
 * A is never stored: n p float64 would be 1.2 GB for F1 at p = 100 (600 MB as float32).
 * Every product streams over blocks of BLOCK_ROWS rows instead, drawing that block of
 * all p columns from their p generators in step, so a product holds p generators and a
 * BLOCK_ROWS x p block (3 MB at p = 100) and costs n p normal draws and n p
 * multiply-adds (a few seconds for F1 at p = 100). The first pass gives |r_j| and the Gram matrix R^T R, hence
 *   A^T A = D^-1 R^T R D^-1,  D = diag(|r_j|),
 * and A^+ w = (A^T A)^-1 A^T w is solved from its Cholesky factor in float64.
 */
import { expected, GradscopeInputError, isPositiveInteger } from '../core/errors';
import type { Vector } from '../engine/vector';
import { NormalStreams } from './normal-streams';

const BLOCK_ROWS = 4096;

export class RandomSubspace {
  /** A^T A, p x p, row-major. */
  readonly gram: Float64Array;
  private readonly inverseNorms: Float64Array;
  private readonly factor: Float64Array;

  constructor(
    readonly n: number,
    readonly p: number,
    readonly seed: number,
  ) {
    if (!isPositiveInteger(p) || p > n)
      throw expected(`an integer from 1 to ${n} (the parameter count)`, 'subspace dimension', p);
    const raw = new Float64Array(p * p);
    this.inverseNorms = new Float64Array(p).fill(1);
    this.pass((_, rows, block) => {
      for (let j = 0; j < p; j++) {
        const a = j * BLOCK_ROWS;
        let k = 0;
        for (; k + 3 <= j; k += 4) {
          // four columns at a time: column j is read once for four products
          const b = k * BLOCK_ROWS;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let r = 0; r < rows; r++) {
            const x = block[a + r]!;
            s0 += x * block[b + r]!;
            s1 += x * block[b + BLOCK_ROWS + r]!;
            s2 += x * block[b + 2 * BLOCK_ROWS + r]!;
            s3 += x * block[b + 3 * BLOCK_ROWS + r]!;
          }
          raw[j * p + k] = raw[j * p + k]! + s0;
          raw[j * p + k + 1] = raw[j * p + k + 1]! + s1;
          raw[j * p + k + 2] = raw[j * p + k + 2]! + s2;
          raw[j * p + k + 3] = raw[j * p + k + 3]! + s3;
        }
        for (; k <= j; k++) {
          let s = 0;
          for (let r = 0; r < rows; r++) s += block[a + r]! * block[k * BLOCK_ROWS + r]!;
          raw[j * p + k] = raw[j * p + k]! + s;
        }
      }
    });
    for (let j = 0; j < p; j++) this.inverseNorms[j] = 1 / Math.sqrt(raw[j * p + j]!);
    this.gram = new Float64Array(p * p);
    for (let j = 0; j < p; j++)
      for (let k = 0; k <= j; k++) {
        const g = raw[j * p + k]! * this.inverseNorms[j]! * this.inverseNorms[k]!;
        this.gram[j * p + k] = g;
        this.gram[k * p + j] = g;
      }
    this.factor = cholesky(this.gram, p);
  }

  /** Calls `visit` with consecutive row blocks of A, column j at block[j * BLOCK_ROWS + r]. */
  private pass(visit: (start: number, rows: number, block: Float64Array) => void): void {
    const streams = new NormalStreams(this.seed, 'subspace', this.p);
    const block = new Float64Array(BLOCK_ROWS * this.p);
    for (let start = 0; start < this.n; start += BLOCK_ROWS) {
      const rows = Math.min(BLOCK_ROWS, this.n - start);
      for (let j = 0; j < this.p; j++)
        streams.fill(j, block, j * BLOCK_ROWS, rows, this.inverseNorms[j]!);
      visit(start, rows, block);
    }
  }

  /** out = A y. */
  apply(y: Float64Array, out: Float64Array): void {
    this.pass((start, rows, block) => {
      for (let r = 0; r < rows; r++) out[start + r] = 0;
      for (let j = 0; j < this.p; j++) {
        const c = y[j]!;
        for (let r = 0; r < rows; r++)
          out[start + r] = out[start + r]! + c * block[j * BLOCK_ROWS + r]!;
      }
    });
  }

  /** out = A^T g. */
  transposeApply(g: Vector, out: Float64Array): void {
    out.fill(0);
    this.pass((start, rows, block) => {
      for (let j = 0; j < this.p; j++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += block[j * BLOCK_ROWS + r]! * g[start + r]!;
        out[j] = out[j]! + s;
      }
    });
  }

  /** A^+ w = (A^T A)^-1 A^T w. */
  pseudoInverse(w: Vector): Float64Array {
    const x = new Float64Array(this.p);
    this.transposeApply(w, x);
    return choleskySolve(this.factor, this.p, x);
  }
}

/** The lower Cholesky factor L (row-major) of a symmetric positive definite p x p matrix. */
export function cholesky(m: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j <= i; j++) {
      let s = m[i * p + j]!;
      for (let k = 0; k < j; k++) s -= l[i * p + k]! * l[j * p + k]!;
      if (i === j) {
        if (!(s > 0))
          throw new GradscopeInputError(
            'the random subspace is degenerate (A^T A is not positive definite); choose a smaller dimension',
          );
        l[i * p + i] = Math.sqrt(s);
      } else l[i * p + j] = s / l[j * p + j]!;
    }
  return l;
}

/** x with L L^T x = b, in place in b. */
export function choleskySolve(l: Float64Array, p: number, b: Float64Array): Float64Array {
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * b[k]!;
    b[i] = s / l[i * p + i]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * b[k]!;
    b[i] = s / l[i * p + i]!;
  }
  return b;
}
