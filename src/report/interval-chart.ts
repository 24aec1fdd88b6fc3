/**
 * Estimates with their intervals: a point per estimate and a vertical rule from its low to its
 * high end, coloured by series, on a linear or log y axis; the legend toggles a series, the
 * tooltip gives x, the estimate and its interval. An estimate without an interval is its point
 * alone; on a log axis a value <= 0 is left out (and an interval's low end <= 0 is drawn from
 * the axis' bottom).
 */
import { expected } from '../core/errors';
import { SERIES_TOGGLE, ZOOM } from './line-chart';
import { paletteColor } from './svg';
import { checkFinite, checkList, checkSize, checkText } from './validate';
import { vegaLiteHeader, vegaLiteSvg, type VegaLiteSpec } from './vega-lite';

export interface IntervalPoint {
  x: number;
  y: number;
  /** The interval's ends; absent: no interval. */
  low?: number;
  high?: number;
}

export interface IntervalSeries {
  name: string;
  points: IntervalPoint[];
  color?: string;
  /** The point's shape (Vega's names: circle, diamond, square, triangle-up, ...). */
  shape?: string;
}

export interface IntervalChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: IntervalSeries[];
  logY?: boolean;
  width?: number;
  height?: number;
}

export function intervalChart(spec: IntervalChartSpec): string {
  return vegaLiteSvg(intervalChartSpec(spec));
}

export function intervalChartSpec(spec: IntervalChartSpec): VegaLiteSpec {
  validate(spec);
  const { width = 720, height = 460 } = spec;
  const names = spec.series.map((s) => s.name);
  const colors = spec.series.map((s, i) => s.color ?? paletteColor(i));
  const shapes = spec.series.map((s) => s.shape ?? 'circle');
  const shown = (v: number | undefined) =>
    v !== undefined && Number.isFinite(v) && !(spec.logY && v <= 0);
  const rows = spec.series.flatMap((s) =>
    s.points
      .filter((p) => shown(p.y))
      .map((p) => ({
        series: s.name,
        x: p.x,
        y: p.y,
        ...(p.low !== undefined && p.high !== undefined && shown(p.high)
          ? { low: shown(p.low) ? p.low : null, high: p.high }
          : {}),
      })),
  );
  const x = { field: 'x', type: 'quantitative', title: spec.xLabel, scale: { zero: false } };
  const y = (field: string) => ({
    field,
    type: 'quantitative',
    title: spec.yLabel,
    scale: spec.logY ? { type: 'log' } : { zero: false },
  });
  const color = { field: 'series', type: 'nominal', scale: { domain: names, range: colors } };
  const shape = { field: 'series', type: 'nominal', scale: { domain: names, range: shapes } };
  const opacity = { condition: { param: SERIES_TOGGLE, value: 1 }, value: 0.12 };
  return {
    ...vegaLiteHeader(spec.title, width, height),
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: 'datum.high != null' }],
        mark: { type: 'rule', strokeWidth: 1.5, clip: true },
        encoding: { x, y: y('low'), y2: { field: 'high' }, color, opacity },
      },
      {
        mark: { type: 'point', filled: true, size: 40, clip: true },
        params: [
          { name: SERIES_TOGGLE, select: { type: 'point', fields: ['series'] }, bind: 'legend' },
          { name: ZOOM, select: 'interval', bind: 'scales' },
        ],
        encoding: {
          x,
          y: y('y'),
          color,
          shape,
          opacity,
          tooltip: [
            { field: 'series', type: 'nominal' },
            { field: 'x', type: 'quantitative', title: spec.xLabel, format: '.6~g' },
            { field: 'y', type: 'quantitative', title: 'estimate', format: '.4~g' },
            { field: 'low', type: 'quantitative', title: 'low', format: '.4~g' },
            { field: 'high', type: 'quantitative', title: 'high', format: '.4~g' },
          ],
        },
      },
    ],
  } as unknown as VegaLiteSpec;
}

function validate(spec: IntervalChartSpec): void {
  checkText(spec.title, 'title');
  checkSize(spec.width, spec.height);
  checkList(spec.series, 'series');
  spec.series.forEach((s, i) => {
    checkText(s.name, `series[${i}].name`);
    if (!Array.isArray(s.points)) throw expected('an array', `series[${i}].points`, s.points);
    s.points.forEach((p, j) => checkFinite(p?.x, `series[${i}].points[${j}].x`));
  });
}
