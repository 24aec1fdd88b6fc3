/**
 * Flat-vector helpers over parameter-sized arrays, accumulating in float64 so
 * that norms and distances of million-entry float32 vectors stay exact enough
 * for Experiment B's ratios.
 */
import { GradscopeInputError } from '../core/errors';

export type Vector = Float32Array | Float64Array;

function sameLength(a: Vector, b: Vector): void {
  if (a.length !== b.length)
    throw new GradscopeInputError(
      `vectors of lengths ${a.length} and ${b.length} cannot be combined`,
    );
}

export function dot(a: Vector, b: Vector): number {
  sameLength(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: Vector): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** |a - b|. */
export function distance(a: Vector, b: Vector): number {
  sameLength(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/** y <- y + alpha x, in place. */
export function axpy(alpha: number, x: Vector, y: Vector): void {
  sameLength(x, y);
  for (let i = 0; i < x.length; i++) y[i] = y[i]! + alpha * x[i]!;
}

/** cos(a, b); 0 when either is zero. */
export function cosine(a: Vector, b: Vector): number {
  const na = norm(a);
  const nb = norm(b);
  return na === 0 || nb === 0 ? 0 : dot(a, b) / (na * nb);
}

/** (1 - alpha) a + alpha b, into out (float64 arithmetic, rounded once). */
export function lerp(a: Vector, b: Vector, alpha: number, out: Vector): void {
  sameLength(a, b);
  sameLength(a, out);
  for (let i = 0; i < a.length; i++) out[i] = (1 - alpha) * a[i]! + alpha * b[i]!;
}
