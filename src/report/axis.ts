/**
 * A numeric axis: its domain, ticks and tick labels, and the projection of a data value to
 * a pixel. Kept apart from drawing so that a chart can size its margins from the tick labels
 * before it knows where the plot area will be.
 *
 * A linear axis's domain is the span of its nice ticks (so the ticks cover the data, and the
 * first and last tick sit on the plot's edges); a log axis does the same in decades.
 */
import { formatNumber, formatTicks, logTicks, niceTicks } from './svg';

export interface Axis {
  readonly log: boolean;
  readonly domain: readonly [number, number];
  readonly ticks: readonly number[];
  readonly labels: readonly string[];
}

/** The finite values, and for a log axis the positive ones, that an axis can show. */
export function plottable(values: Iterable<number | null>, log = false): number[] {
  const out: number[] = [];
  for (const v of values) if (v !== null && Number.isFinite(v) && (!log || v > 0)) out.push(v);
  return out;
}

/** Nice ticks covering the values (`within`: inside exactly their range, e.g. a grid's). */
export function linearAxis(
  values: number[],
  target: number,
  mode: 'cover' | 'within' = 'cover',
): Axis {
  let [min, max] = extent(values, [0, 1]);
  if (min === max) [min, max] = [min - (Math.abs(min) / 10 || 1), max + (Math.abs(max) / 10 || 1)];
  const ticks = niceTicks(min, max, target, mode);
  const domain: [number, number] =
    mode === 'cover' ? [ticks[0], ticks[ticks.length - 1]] : [min, max];
  return { log: false, domain, ticks, labels: formatTicks(ticks) };
}

export function logAxis(values: number[]): Axis {
  const [min, max] = extent(values, [0.1, 10]);
  const ticks = logTicks(min, max);
  return {
    log: true,
    domain: [ticks[0], ticks[ticks.length - 1]],
    ticks,
    labels: ticks.map(formatNumber),
  };
}

/** The pixel of `value` on an axis drawn from `from` (domain start) to `to` (domain end). */
export function project(axis: Axis, value: number, from: number, to: number): number {
  const f = axis.log ? Math.log10 : (v: number) => v;
  const [a, b] = [f(axis.domain[0]), f(axis.domain[1])];
  return from + ((f(value) - a) / (b - a)) * (to - from);
}

export function extent(values: number[], empty: [number, number]): [number, number] {
  if (values.length === 0) return empty;
  let [min, max] = [Infinity, -Infinity];
  for (const v of values) [min, max] = [Math.min(min, v), Math.max(max, v)];
  return [min, max];
}
