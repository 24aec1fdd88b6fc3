/**
 * Low-level helpers shared by every chart in src/report: XML escaping, compact
 * coordinates, the font and a text-width estimate for layout, a colour-blind-safe palette
 * and dash styles, and "nice" axis ticks with their labels.
 *
 * Charts are plain SVG strings, so they need no DOM. The font is DejaVu Sans first in the
 * font-family list because it is what the PNG renderer finds on Debian (fonts-dejavu-core),
 * and the width estimate below is tuned to its metrics so labels are laid out, not guessed.
 */

export const FONT_FAMILY = "'DejaVu Sans', Verdana, Arial, sans-serif";
export const FONT_SIZE = { title: 16, axisTitle: 13, tick: 11.5, legend: 12 } as const;
export const TEXT_COLOR = '#222222';
export const GRID_COLOR = '#e3e3e3';
export const AXIS_COLOR = '#555555';

/**
 * Okabe and Ito's palette (2008), distinguishable under the common colour-vision
 * deficiencies; ordered for lines on white, with yellow, the faintest, last.
 */
export const PALETTE = [
  '#0072B2', // blue
  '#D55E00', // vermillion
  '#009E73', // bluish green
  '#CC79A7', // reddish purple
  '#E69F00', // orange
  '#56B4E9', // sky blue
  '#000000', // black
  '#F0E442', // yellow
] as const;

/** stroke-dasharray values: solid first; `DASHED` is what a `dash: true` series gets. */
export const DASHES = ['', '7 4', '2 3', '9 3 2 3'] as const;
export const DASHED = DASHES[1];

export function paletteColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A coordinate for an attribute: two decimals at most, no "-0". */
export function num(value: number): string {
  return String(Math.round(value * 100) / 100 + 0);
}

/** Advance widths of DejaVu Sans in em, for the characters that differ from the default. */
const NARROW = new Map<string, number>([
  ...[...' .,:;!|'].map((c): [string, number] => [c, 0.32]),
  ...[..."ijlI'"].map((c): [string, number] => [c, 0.28]),
  ...[...'()[]{}ftr-'].map((c): [string, number] => [c, 0.39]),
  ...[...'mwMW'].map((c): [string, number] => [c, 0.93]),
  ...[...'=+<>≥≤−×'].map((c): [string, number] => [c, 0.84]),
]);

/** Estimated rendered width of `text` at `size` px in DejaVu Sans. */
export function textWidth(text: string, size: number): number {
  let em = 0;
  for (const c of text) em += NARROW.get(c) ?? (c >= 'A' && c <= 'Z' ? 0.72 : 0.62);
  return em * size;
}

/** The smallest of 1, 2, 2.5, 5, 10 times a power of ten that is at least `rough`. */
export function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const f = rough / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * power;
}

/** Decimals needed to write multiples of `step` exactly (0.25 -> 2, 5 -> 0). */
export function stepDecimals(step: number): number {
  let d = 0;
  const off = (x: number) => Math.round(x) === 0 || Math.abs(Math.round(x) - x) > 1e-6 * x;
  while (d < 20 && off(step * 10 ** d)) d++;
  return d;
}

/**
 * About `target` intervals of a nice step; `cover` puts the first tick at or below `min`
 * and the last at or above `max`, `within` keeps every tick inside [min, max].
 */
export function niceTicks(
  min: number,
  max: number,
  target = 5,
  mode: 'cover' | 'within' = 'cover',
): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max)
    throw new RangeError(`niceTicks: bad range [${min}, ${max}]`);
  if (min === max)
    [min, max] = min === 0 ? [-1, 1] : [min - Math.abs(min) / 10, max + Math.abs(max) / 10];
  const step = niceStep((max - min) / Math.max(1, target));
  const first = mode === 'cover' ? Math.floor(min / step + 1e-9) : Math.ceil(min / step - 1e-9);
  const last = mode === 'cover' ? Math.ceil(max / step - 1e-9) : Math.floor(max / step + 1e-9);
  const decimals = stepDecimals(step);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toFixed(decimals)) + 0);
  return ticks;
}

/**
 * Ticks for a log axis covering [min, max] (both > 0): 1, 2, 5 times powers of ten over
 * up to three decades, powers of ten beyond (every second, third... past eight decades).
 */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max >= min) || !Number.isFinite(max))
    throw new RangeError(`logTicks: bad range [${min}, ${max}]`);
  const lo = Math.floor(Math.log10(min) + 1e-9);
  const hi = Math.max(Math.ceil(Math.log10(max) - 1e-9), lo + 1);
  const mantissas = hi - lo <= 3 ? [1, 2, 5] : [1];
  const every = Math.ceil((hi - lo) / 8);
  const all: number[] = [];
  for (let e = lo; e <= hi; e += mantissas.length > 1 ? 1 : every)
    for (const m of mantissas) all.push(Number((m * 10 ** e).toPrecision(12)));
  const first = all.filter((t) => t <= min * (1 + 1e-9)).pop() ?? all[0];
  const last = all.find((t) => t >= max * (1 - 1e-9)) ?? all[all.length - 1];
  return all.filter((t) => t >= first && t <= last);
}

/** Labels for evenly spaced ticks: all with the decimals of their step. */
export function formatTicks(ticks: number[]): string[] {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  const largest = Math.max(...ticks.map(Math.abs));
  if (largest >= 1e6 || (largest > 0 && step < 1e-4)) return ticks.map(formatNumber);
  return ticks.map((t) => minus(t.toFixed(stepDecimals(step))));
}

/** The shortest faithful label of one number, exponential outside [1e-4, 1e6). */
export function formatNumber(value: number): string {
  const v = Number(value.toPrecision(10)) + 0;
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e6)) return minus(v.toExponential().replace('e+', 'e'));
  return minus(String(v));
}

/** A typographic minus sign, which DejaVu Sans draws as wide as "+". */
function minus(text: string): string {
  return text.replace(/^-|e-/g, (m) => m.replace('-', '\u2212'));
}
