/**
 * Experiment B's arithmetic (docs/mathematics.md). The sums over the gradients' entries run on
 * the engine's device (src/engine/device-vector.ts); what is here are pure functions of the
 * per-draw scalars they return, so that a brute-force float64 computation can check each one.
 *
 *   g_total = (M g_train + M' g_test) / (M + M')        (never a third pass)
 *   d       = |g_train - g_total|                        (the unit of every distance)
 *   for each draw g_B: |g_B - g_train|/d, |g_B - g_total|/d, |g_B|/d, cos(g_B, g_total)
 *   histogram of a distance in bins of 0.5 d: [0, 0.5), [0.5, 1), ... [cap - 0.5, cap),
 *   then an overflow bin [cap, inf)
 *   Smith and Le: E|g_B - g_train|^2 = (1/B - 1/M) tr(F), F the covariance of
 *   per-example gradients (divisor M - 1, which makes the identity exact for B
 *   distinct examples drawn uniformly); so B E|g_B - g_train|^2 / (1 - B/M)
 *   estimates tr(F) and is constant across B when the prediction holds.
 *   B_simple = tr(F) / |g_train|^2 (McCandlish et al. 2018).
 */
export interface Summary {
  mean: number;
  median: number;
  min: number;
  max: number;
}

export function summarise(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return {
    mean: values.reduce((s, v) => s + v, 0) / n,
    median,
    min: sorted[0]!,
    max: sorted[n - 1]!,
  };
}

export interface Histogram {
  /** Bin labels in units of d: "[0, 0.5)", ..., ">= cap". */
  bins: string[];
  counts: number[];
}

/** Counts of values (in units of d) in bins of `width` up to `cap`, plus an overflow bin. */
export function histogram(values: number[], cap: number, width = 0.5): Histogram {
  const regular = Math.round(cap / width);
  const counts = new Array<number>(regular + 1).fill(0);
  const bins: string[] = [];
  for (let i = 0; i < regular; i++) bins.push(`[${i * width}, ${(i + 1) * width})`);
  bins.push(`>= ${cap}`);
  for (const v of values) {
    // floor(v / width) in exact arithmetic for the bin edges a user reads
    const bin = v >= cap ? regular : Math.floor(v / width);
    counts[Math.min(bin, regular)]! += 1;
  }
  return { bins, counts };
}

/** Smith and Le's B E|g_B - g_train|^2 / (1 - B/M): an estimate of tr(F). */
export function smithTraceEstimate(toTrainSquared: number[], batchSize: number, m: number): number {
  const mean = toTrainSquared.reduce((s, v) => s + v, 0) / toTrainSquared.length;
  return (batchSize * mean) / (1 - batchSize / m);
}
