/**
 * The five numbers of a box plot and its outliers (Tukey's convention, as matplotlib
 * draws it): the box spans the quartiles, the whiskers reach the furthest data within
 * 1.5 IQR of the box, points beyond are outliers.
 *
 * Quantiles are numpy's default (method 'linear', Hyndman and Fan's type 7): on the sorted
 * values x[0..n-1], the p-quantile is at h = (n - 1) p, x[floor h] + (h - floor h) *
 * (x[floor h + 1] - x[floor h]); so the median of an even count is the mean of the middle
 * two, and a figure made here agrees with numpy.percentile on the same numbers.
 */
export interface BoxStats {
  n: number;
  q1: number;
  median: number;
  q3: number;
  /** The lowest and highest values within 1.5 IQR of the box. */
  whiskerLow: number;
  whiskerHigh: number;
  outliers: number[];
}

/** numpy.quantile(sorted, p) with the default 'linear' method; `sorted` ascending. */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Box statistics of finite `values` (any order); undefined for an empty list. */
export function boxStats(values: readonly number[]): BoxStats | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const [q1, median, q3] = [0.25, 0.5, 0.75].map((p) => quantile(sorted, p));
  const reach = 1.5 * (q3 - q1);
  const inside = sorted.filter((v) => v >= q1 - reach && v <= q3 + reach);
  return {
    n: sorted.length,
    q1,
    median,
    q3,
    whiskerLow: inside[0],
    whiskerHigh: inside[inside.length - 1],
    outliers: sorted.filter((v) => v < q1 - reach || v > q3 + reach),
  };
}
