/**
 * The uncertainty of the live B_simple (docs/mathematics.md, "The gradient noise scale during
 * training", "Its uncertainty"): the moving averages are weighted sums of the single
 * measurements, the j-th of m carrying w_j = keep^(m - j) (keep = (1 - 1/L)^N; the common
 * factor 1 - keep and the bias correction cancel in the ratio), so
 *
 *   B_simple = R = sum_j w_j T_j / sum_j w_j G_j          (T: tr(Sigma)^, G: |G|^2^)
 *
 * a ratio estimator. Treating the single measurements as independent given the weights
 * (each on its own batch) and linearising R around its value (the delta method):
 *
 *   Var R ~ sum_j w_j^2 (T_j - R G_j)^2 / (sum_j w_j G_j)^2 * c,
 *   c = S2 / (S2 - 2 S3 / W + S2^2 / W^2),  W = sum w, S2 = sum w^2, S3 = sum w^3,
 *
 * c correcting the residuals' shrinkage (n / (n - 1) for equal weights). Drift of the weights
 * within the window enters the residuals too, so the interval is, if anything, wide. With fewer
 * than two measurements there is none.
 */

/** What the uncertainty needs of one live measurement (a metrics.jsonl `noise-scale` record). */
export interface SingleNoiseMeasurement {
  /** This measurement's estimates of |G|^2 and tr(Sigma). */
  gradientSquared: number;
  trace: number;
}

export interface LiveNoiseInterval {
  /** B_simple of the averages at the last measurement. */
  simpleNoiseScale: number;
  /** Its standard error; undefined with fewer than two measurements or a spent weight. */
  standardError: number | undefined;
  /** (sum w)^2 / sum w^2: how many equally weighted measurements the average is worth. */
  effectiveCount: number;
}

/**
 * B_simple of the moving averages after `history` (every measurement that fed them, oldest
 * first: process 1's up to the branch, then the arm's), and its standard error.
 */
export function liveNoiseInterval(
  history: SingleNoiseMeasurement[],
  every: number,
  emaSteps: number,
): LiveNoiseInterval {
  const keep = Math.pow(1 - 1 / emaSteps, every);
  const m = history.length;
  const w = history.map((_, j) => Math.pow(keep, m - 1 - j));
  const W = w.reduce((s, x) => s + x, 0);
  const S2 = w.reduce((s, x) => s + x * x, 0);
  const S3 = w.reduce((s, x) => s + x * x * x, 0);
  const trace = history.reduce((s, h, j) => s + w[j]! * h.trace, 0);
  const signal = history.reduce((s, h, j) => s + w[j]! * h.gradientSquared, 0);
  const R = trace / signal;
  const effectiveCount = W > 0 ? (W * W) / S2 : 0;
  const shrink = S2 - (2 * S3) / W + (S2 * S2) / (W * W);
  if (m < 2 || !(shrink > 0) || !Number.isFinite(R))
    return { simpleNoiseScale: R, standardError: undefined, effectiveCount };
  const residual = history.reduce(
    (s, h, j) => s + w[j]! * w[j]! * (h.trace - R * h.gradientSquared) ** 2,
    0,
  );
  const variance = ((residual / (signal * signal)) * S2) / shrink;
  return { simpleNoiseScale: R, standardError: Math.sqrt(variance), effectiveCount };
}
