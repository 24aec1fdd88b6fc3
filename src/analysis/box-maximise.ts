/**
 * max f(x) subject to lower <= x <= upper, by projected L-BFGS (a two-metric projection
 * method: Bertsekas 1982; Kim, Sra and Dhillon 2010), run as the minimisation of
 * phi = -f with d = grad phi:
 *
 *   active set  A = {i : x_i <= l_i and d_i > 0, or x_i >= u_i and d_i < 0}, free set F;
 *   direction   p = -[H d_F]_F, H the L-BFGS inverse-Hessian approximation of the last
 *               `memory` pairs (s, y) with s.y > 1e-10 |s| |y|, scaled by s.y / y.y;
 *               the projected gradient p = -d_F when no pair is stored or p is not a
 *               descent direction;
 *   step        x(alpha) = P(x + alpha p), P the projection on the box, alpha halved from
 *               alpha_0 until phi(x(alpha)) <= phi(x) + c1 d.(x(alpha) - x) (Armijo on the
 *               projected step); alpha_0 = 1 after a quasi-Newton direction, otherwise the
 *               largest breakpoint of the projected path, so that the first step from the
 *               centre of a box reaches the corner sign(grad f) (the maximiser of the
 *               linearised f) and backs off from it only if f does not rise enough.
 *
 * Stops after `iterations` iterations; converged when the projected gradient
 * |P(x - d) - x|_inf <= pgtol or the relative change of f <= ftol (scipy's L-BFGS-B
 * default, 1e7 * machine epsilon), or when no step along either direction passes the
 * Armijo test (reported as 'no ascent step'). pgtol is absolute, so scipy's 1e-5 stops
 * at once on a box of width 1e-3 where the gradient is small (a random subspace of a
 * large network): the default is 0, a stop only at an exact stationary point such as a
 * vertex where every gradient component points out of the box. Keskar et al. maximised with
 * scipy's L-BFGS-B (Byrd, Lu, Nocedal and Zhu 1995) with maxiter 10; this method is of
 * the same family (projected quasi-Newton on a box) without its Cauchy-point search.
 */
import { expected, isPositiveInteger } from '../core/errors';
import { dot } from '../engine/vector';
import { throwIfStopped } from '../train/stop';

export type Objective = (x: Float64Array) => number;
/** out = grad f(x). */
export type ObjectiveGradient = (x: Float64Array, out: Float64Array) => void;

export interface BoxOptions {
  iterations: number;
  /** L-BFGS pairs kept. */
  memory: number;
  pgtol: number;
  ftol: number;
  /** Halvings of the step before a direction is given up. */
  maxBacktracks: number;
  onIteration?: (iteration: number, value: number) => void;
}

export const DEFAULT_BOX: BoxOptions = {
  iterations: 10,
  memory: 5,
  pgtol: 0,
  ftol: 1e7 * Number.EPSILON,
  maxBacktracks: 30,
};

export const BOX_METHOD = 'projected L-BFGS (two-metric projection, Armijo backtracking)';

export type BoxStop = 'iterations' | 'projected gradient' | 'relative change' | 'no ascent step';

export interface BoxResult {
  x: Float64Array;
  value: number;
  initialValue: number;
  iterations: number;
  evaluations: number;
  gradients: number;
  converged: boolean;
  stop: BoxStop;
}

const C1 = 1e-4;

export function checkBoxOptions(o: BoxOptions): void {
  if (!isPositiveInteger(o.iterations))
    throw expected('a positive integer', 'iterations', o.iterations);
  if (!isPositiveInteger(o.memory)) throw expected('a positive integer', 'memory', o.memory);
  for (const key of ['pgtol', 'ftol'] as const)
    if (typeof o[key] !== 'number' || !(o[key] >= 0)) throw expected('a number >= 0', key, o[key]);
  if (!isPositiveInteger(o.maxBacktracks))
    throw expected('a positive integer', 'max backtracks', o.maxBacktracks);
}

/** The maximiser; a stop signal stops it before any evaluation of f or its gradient (stop.ts). */
export async function maximiseInBox(
  f: Objective,
  grad: ObjectiveGradient,
  x0: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  options: Partial<BoxOptions> = {},
): Promise<BoxResult> {
  const o = { ...DEFAULT_BOX, ...options };
  checkBoxOptions(o);
  const n = x0.length;
  if (lower.length !== n || upper.length !== n)
    throw expected(`bounds of length ${n}`, 'lower, upper', [lower.length, upper.length]);
  for (let i = 0; i < n; i++)
    if (!(lower[i]! <= upper[i]!))
      throw expected('lower <= upper', `bounds at ${i}`, [lower[i], upper[i]]);

  const x = x0.map((v, i) => Math.min(upper[i]!, Math.max(lower[i]!, v)));
  const d = new Float64Array(n); // grad phi = -grad f
  const trial = new Float64Array(n);
  const p = new Float64Array(n);
  const pairs: { s: Float64Array; y: Float64Array; rho: number }[] = [];
  let evaluations = 1;
  let gradients = 1;
  let iteration = 0;
  const stopCheck = (what: string) =>
    throwIfStopped(() => `before ${what} in iteration ${iteration + 1} of the box maximisation`);
  await stopCheck('the first loss');
  let phi = -f(x);
  const initialValue = -phi;
  const gradientOfPhi = (at: Float64Array, out: Float64Array): void => {
    grad(at, out);
    for (let i = 0; i < n; i++) out[i] = -out[i]!;
  };
  await stopCheck('the first gradient');
  gradientOfPhi(x, d);

  const free = (i: number): boolean =>
    !((x[i]! <= lower[i]! && d[i]! > 0) || (x[i]! >= upper[i]! && d[i]! < 0));
  const project = (alpha: number): void => {
    for (let i = 0; i < n; i++)
      trial[i] = Math.min(upper[i]!, Math.max(lower[i]!, x[i]! + alpha * p[i]!));
  };

  let stop: BoxStop = 'iterations';
  while (iteration < o.iterations) {
    let pg = 0;
    for (let i = 0; i < n; i++)
      pg = Math.max(pg, Math.abs(Math.min(upper[i]!, Math.max(lower[i]!, x[i]! - d[i]!)) - x[i]!));
    if (pg <= o.pgtol) {
      stop = 'projected gradient';
      break;
    }
    let quasiNewton = pairs.length > 0 && lbfgsDirection(pairs, d, free, p);
    let accepted = false;
    let next = phi;
    for (let attempt = 0; attempt < 2 && !accepted; attempt++) {
      if (!quasiNewton) for (let i = 0; i < n; i++) p[i] = free(i) ? -d[i]! : 0;
      let alpha = quasiNewton ? 1 : largestBreakpoint(x, p, lower, upper);
      for (let k = 0; k <= o.maxBacktracks && alpha > 0; k++, alpha /= 2) {
        project(alpha);
        let predicted = 0;
        for (let i = 0; i < n; i++) predicted += d[i]! * (trial[i]! - x[i]!);
        if (!(predicted < 0)) continue;
        await stopCheck(`loss ${evaluations + 1}`);
        next = -f(trial);
        evaluations++;
        if (next <= phi + C1 * predicted) {
          accepted = true;
          break;
        }
      }
      if (!accepted && !quasiNewton) break;
      quasiNewton = false;
    }
    if (!accepted) {
      stop = 'no ascent step';
      break;
    }
    iteration++;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = trial[i]! - x[i]!;
      y[i] = -d[i]!;
    }
    x.set(trial);
    await stopCheck(`gradient ${gradients + 1}`);
    gradientOfPhi(x, d);
    gradients++;
    for (let i = 0; i < n; i++) y[i] = y[i]! + d[i]!;
    const sy = dot(s, y);
    if (sy > 1e-10 * Math.sqrt(dot(s, s) * dot(y, y))) {
      pairs.push({ s, y, rho: 1 / sy });
      if (pairs.length > o.memory) pairs.shift();
    }
    const change = phi - next;
    phi = next;
    o.onIteration?.(iteration, -phi);
    if (change <= o.ftol * Math.max(Math.abs(phi), Math.abs(phi + change), 1)) {
      stop = 'relative change';
      break;
    }
  }
  return {
    x,
    value: -phi,
    initialValue,
    iterations: iteration,
    evaluations,
    gradients,
    converged: stop === 'projected gradient' || stop === 'relative change',
    stop,
  };
}

/** p = -[H d_F]_F by the two-loop recursion; false when it is not a descent direction. */
function lbfgsDirection(
  pairs: { s: Float64Array; y: Float64Array; rho: number }[],
  d: Float64Array,
  free: (i: number) => boolean,
  p: Float64Array,
): boolean {
  const n = d.length;
  const q = p;
  for (let i = 0; i < n; i++) q[i] = free(i) ? d[i]! : 0;
  const alphas: number[] = [];
  for (let k = pairs.length - 1; k >= 0; k--) {
    const { s, y, rho } = pairs[k]!;
    const a = rho * dot(s, q);
    alphas[k] = a;
    for (let i = 0; i < n; i++) q[i] = q[i]! - a * y[i]!;
  }
  const last = pairs[pairs.length - 1]!;
  const gamma = 1 / (last.rho * dot(last.y, last.y));
  for (let i = 0; i < n; i++) q[i] = gamma * q[i]!;
  for (let k = 0; k < pairs.length; k++) {
    const { s, y, rho } = pairs[k]!;
    const b = rho * dot(y, q);
    for (let i = 0; i < n; i++) q[i] = q[i]! + (alphas[k]! - b) * s[i]!;
  }
  let slope = 0;
  for (let i = 0; i < n; i++) {
    p[i] = free(i) ? -q[i]! : 0;
    slope += p[i]! * d[i]!;
  }
  return slope < 0 && Number.isFinite(slope);
}

/** The step along p at which the last coordinate reaches its bound (0 if none moves). */
function largestBreakpoint(
  x: Float64Array,
  p: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
): number {
  let t = 0;
  for (let i = 0; i < x.length; i++) {
    const pi = p[i]!;
    if (pi > 0) t = Math.max(t, (upper[i]! - x[i]!) / pi);
    else if (pi < 0) t = Math.max(t, (lower[i]! - x[i]!) / pi);
  }
  return Number.isFinite(t) ? t : 1;
}
