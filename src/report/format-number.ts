/**
 * The report's one number formatter (its HTML, its Markdown tables, the conclusions): `digits`
 * decimals at ordinary magnitudes, four significant digits in exponent form for the very large
 * (|x| >= 1e4) and the very small (0 < |x| < 1e-3), and "-" for a figure that is not defined
 * (null in JSON, NaN, an infinity: Smith's estimate at B = M, say).
 */

/** `x` as the report's tables print it: 0.1235, 1.235e+4, 1.235e-5, "-". */
export function formatNumber(x: number | null, digits = 4): string {
  if (x === null || !Number.isFinite(x)) return '-';
  const magnitude = Math.abs(x);
  return magnitude >= 1e4 || (magnitude < 1e-3 && x !== 0) ? x.toExponential(3) : x.toFixed(digits);
}

/** A fraction as a percentage with two decimals: 0.98125 -> "98.13%". */
export function formatPercent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
