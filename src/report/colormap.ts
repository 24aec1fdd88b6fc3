/**
 * Viridis (van der Walt and Smith, matplotlib's default colour map): perceptually uniform,
 * readable by the colour-blind and in greyscale print, so a heat map's lightness follows
 * its value. Eight anchors (R's viridis(8)), linearly interpolated in RGB.
 */
const ANCHORS = [
  '#440154',
  '#46337e',
  '#365c8d',
  '#277f8e',
  '#1fa187',
  '#4ac16d',
  '#9fda3a',
  '#fde725',
].map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));

/** The colour at `t` in [0, 1] (clamped): dark purple at 0, yellow at 1. */
export function viridis(t: number): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (ANCHORS.length - 1);
  const k = Math.min(ANCHORS.length - 2, Math.floor(u));
  const f = u - k;
  const rgb = ANCHORS[k].map((c, i) => Math.round(c + f * (ANCHORS[k + 1][i] - c)));
  return `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}
