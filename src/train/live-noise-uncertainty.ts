/**
 * The uncertainty of the live B_simple (docs/mathematics.md, "The gradient noise scale during
 * training", "Its uncertainty"): the moving averages are weighted sums of the single
 * measurements' normalised estimates x_j = T_j / s_j and y_j = G_j / s_j (T: tr(Sigma)^, G:
 * |G|^2^, s: that measurement's |G_small|^2), the j-th of m carrying w_j = keep^(m - j)
 * (keep = (1 - 1/L)^N; the common factor 1 - keep and the bias correction cancel in the ratio),
 * so
 *
 *   B_simple = R = sum_j w_j x_j / sum_j w_j y_j
 *
 * a ratio estimator. Treating the single measurements as independent given the weights
 * (each on its own batch) and linearising R around its value (the delta method):
 *
 *   Var R ~ sum_j w_j^2 (x_j - R y_j)^2 / (sum_j w_j y_j)^2 * c,
 *   c = S2 / (S2 - 2 S3 / W + S2^2 / W^2),  W = sum w, S2 = sum w^2, S3 = sum w^3,
 *
 * c correcting the residuals' shrinkage (n / (n - 1) for equal weights). Drift of the weights
 * within the window enters the residuals too, so the interval is, if anything, wide. With fewer
 * than two measurements there is none. Records of an older gradscope (no `average` field) hold
 * the ratio of the plain averages: for them x_j = T_j and y_j = G_j, as their B_simple was.
 */

/** What the uncertainty needs of one live measurement (a metrics.jsonl `noise-scale` record). */
export interface SingleNoiseMeasurement {
  /** This measurement's estimates of |G|^2 and tr(Sigma). */
  gradientSquared: number;
  trace: number;
  /** 'scale-free' with its own scale s = |G_small|^2; absent: the older, plain averages. */
  average?: 'scale-free';
  scale?: number;
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
 * The measurements the last one's average holds, as (x, y): the trailing run of its own kind
 * (a run resumed across the change of average restarted it there), the scale-free ones
 * divided by their scale (one with no positive scale carries nothing, as in training).
 */
function averaged(history: SingleNoiseMeasurement[]): { x: number; y: number }[] {
  const kind = history[history.length - 1]?.average;
  let first = history.length;
  while (first > 0 && history[first - 1]!.average === kind) first--;
  const out: { x: number; y: number }[] = [];
  for (const h of history.slice(first)) {
    if (kind === undefined) out.push({ x: h.trace, y: h.gradientSquared });
    else if (h.scale !== undefined && h.scale > 0 && Number.isFinite(h.scale))
      out.push({ x: h.trace / h.scale, y: h.gradientSquared / h.scale });
  }
  return out;
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
  const terms = averaged(history);
  const m = terms.length;
  const w = terms.map((_, j) => Math.pow(keep, m - 1 - j));
  const W = w.reduce((s, x) => s + x, 0);
  const S2 = w.reduce((s, x) => s + x * x, 0);
  const S3 = w.reduce((s, x) => s + x * x * x, 0);
  const trace = terms.reduce((s, h, j) => s + w[j]! * h.x, 0);
  const signal = terms.reduce((s, h, j) => s + w[j]! * h.y, 0);
  const R = trace / signal;
  const effectiveCount = W > 0 ? (W * W) / S2 : 0;
  const shrink = S2 - (2 * S3) / W + (S2 * S2) / (W * W);
  if (m < 2 || !(shrink > 0) || !Number.isFinite(R))
    return { simpleNoiseScale: R, standardError: undefined, effectiveCount };
  const residual = terms.reduce((s, h, j) => s + w[j]! * w[j]! * (h.x - R * h.y) ** 2, 0);
  const variance = ((residual / (signal * signal)) * S2) / shrink;
  return { simpleNoiseScale: R, standardError: Math.sqrt(variance), effectiveCount };
}
