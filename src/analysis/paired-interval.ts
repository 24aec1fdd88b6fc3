/**
 * Is a piggybacked arm better than the small-batch control, beyond the spread
 * between seeds? Each seed runs every arm from its own branch state, so the arms
 * are paired by seed: for seeds s = 1..n the differences
 *
 *   D_s = x_arm(s) - x_control(s),   mean D = (1/n) sum D_s,
 *   s_D = sqrt( sum (D_s - mean D)^2 / (n - 1) ),
 *   95% interval  mean D +- t_{0.975, n-1} s_D / sqrt(n)      (Student t)
 *
 * The verdict reads the interval: above zero "better", below zero "worse" (for a
 * quantity where larger is better; reversed for losses), otherwise "not
 * distinguishable at this number of seeds". One seed gives no interval.
 */

export interface PairedInterval {
  /** Seeds that have both values. */
  n: number;
  mean: number;
  /** Half-width of the 95% interval; undefined for n < 2. */
  halfWidth: number | undefined;
  low: number | undefined;
  high: number | undefined;
}

export type Verdict = 'better' | 'worse' | 'not distinguishable at this number of seeds';

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms: ~1e-15 relative). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const num of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  return x < (a + 1) / (a + b + 2)
    ? (front * betaFraction(a, b, x)) / a
    : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T <= t) for Student's t with df degrees of freedom. */
export function studentCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (0.5 < p < 1), by bisection on the CDF to 1e-12. */
export function studentQuantile(p: number, df: number): number {
  let low = 0;
  let high = 1;
  while (studentCdf(high, df) < p) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-12 * high; i++) {
    const mid = (low + high) / 2;
    if (studentCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/**
 * The 95% interval of the mean paired difference arm - control over seeds.
 *
 * @example
 * ```ts
 * import { pairedInterval } from 'gradscope';
 * // test accuracy of the B = 5000 arm and of the B = 256 control, seeds 0..4
 * const interval = pairedInterval(
 *   [0.981, 0.979, 0.983, 0.98, 0.982],
 *   [0.978, 0.977, 0.98, 0.979, 0.98],
 * );
 * console.log(interval.mean, interval.low, interval.high);
 * ```
 */
export function pairedInterval(arm: number[], control: number[]): PairedInterval {
  const d = arm.map((x, i) => x - control[i]!).filter((x) => Number.isFinite(x));
  const n = d.length;
  const mean = n > 0 ? d.reduce((s, x) => s + x, 0) / n : NaN;
  if (n < 2) return { n, mean, halfWidth: undefined, low: undefined, high: undefined };
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const halfWidth = (studentQuantile(0.975, n - 1) * sd) / Math.sqrt(n);
  return { n, mean, halfWidth, low: mean - halfWidth, high: mean + halfWidth };
}

/**
 * "better" when the whole interval lies on the good side of zero, "worse" on the other.
 *
 * @example
 * ```ts
 * import { pairedInterval, verdict } from 'gradscope';
 * const accuracy = pairedInterval([0.981, 0.979, 0.983], [0.978, 0.977, 0.98]);
 * console.log(verdict(accuracy, true)); // larger accuracy is better
 * const loss = pairedInterval([0.07, 0.08, 0.075], [0.06, 0.065, 0.07]);
 * console.log(verdict(loss, false)); // smaller loss is better
 * ```
 */
export function verdict(interval: PairedInterval, largerIsBetter: boolean): Verdict {
  const { low, high } = interval;
  if (low === undefined || high === undefined) return 'not distinguishable at this number of seeds';
  if (low > 0) return largerIsBetter ? 'better' : 'worse';
  if (high < 0) return largerIsBetter ? 'worse' : 'better';
  return 'not distinguishable at this number of seeds';
}
