/**
 * A line chart with a left y axis and an optional right one: Keskar's parametric plot
 * (alpha on x, cross-entropy on the left, accuracy on the right, train solid and test
 * dashed, guides at the two solutions alpha = 0 and 1) and training curves alike.
 *
 * A Vega-Lite spec (vega-lite.ts renders it): lines with a point at each value, whose
 * tooltip gives the series, x and y; the legend toggles a series (click; shift-click for
 * several); dragging pans and the wheel zooms. A null y (an undefined value, e.g. a
 * negative running variance) breaks the line there rather than being bridged or drawn as
 * zero; a point with no neighbour shows as its dot. On a log axis a y <= 0 breaks the line
 * the same way.
 */
import { DASHED, paletteColor } from './svg';
import { expected } from '../core/errors';
import { checkFinite, checkList, checkSize, checkText } from './validate';
import { vegaLiteHeader, vegaLiteSvg, type VegaLiteSpec } from './vega-lite';

export interface LineSeries {
  name: string;
  axis: 'left' | 'right';
  points: [number, number | null][];
  dash?: boolean;
  color?: string;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  leftLabel: string;
  rightLabel?: string;
  series: LineSeries[];
  /** Vertical guides with a label above the plot, e.g. the endpoints alpha = 0 and 1. */
  markers?: { x: number; label: string }[];
  logLeft?: boolean;
  width?: number;
  height?: number;
}

/** The legend toggle and the pan/zoom of line figures (the names a test can look for). */
export const SERIES_TOGGLE = 'series_toggle';
export const ZOOM = 'zoom';

export function lineChart(spec: LineChartSpec): string {
  return vegaLiteSvg(lineChartSpec(spec));
}

export function lineChartSpec(spec: LineChartSpec): VegaLiteSpec {
  validate(spec);
  const { width = 720, height = 460, markers = [] } = spec;
  const names = spec.series.map((s) => s.name);
  const colors = spec.series.map((s, i) => s.color ?? paletteColor(i));
  const dashes = spec.series.map((s) => (s.dash ? DASHED.split(' ').map(Number) : [1, 0]));
  const rows = (side: 'left' | 'right') =>
    spec.series
      .filter((s) => s.axis === side)
      .flatMap((s) =>
        s.points.map(([x, y]) => ({
          series: s.name,
          x,
          y:
            y === null || !Number.isFinite(y) || (side === 'left' && spec.logLeft && y <= 0)
              ? null
              : y,
        })),
      );
  const x = { field: 'x', type: 'quantitative', title: spec.xLabel, scale: { zero: false } };
  const color = {
    field: 'series',
    type: 'nominal',
    scale: { domain: names, range: colors },
    legend: { symbolType: 'stroke', symbolStrokeWidth: 2.5 },
  };
  const strokeDash = { field: 'series', type: 'nominal', scale: { domain: names, range: dashes } };
  const opacity = { condition: { param: SERIES_TOGGLE, value: 1 }, value: 0.12 };
  const side = (which: 'left' | 'right', first: boolean) => {
    const log = which === 'left' && spec.logLeft;
    const title = which === 'left' ? spec.leftLabel : spec.rightLabel!;
    const y = {
      field: 'y',
      type: 'quantitative',
      title,
      scale: log ? { type: 'log' } : { zero: false },
      axis: { orient: which, ...(which === 'right' ? { grid: false } : {}) },
    };
    return {
      data: { values: rows(which) },
      layer: [
        {
          mark: { type: 'line', strokeWidth: 2, strokeJoin: 'round', clip: true },
          ...(first
            ? {
                params: [
                  {
                    name: SERIES_TOGGLE,
                    select: { type: 'point', fields: ['series'] },
                    bind: 'legend',
                  },
                  { name: ZOOM, select: 'interval', bind: 'scales' },
                ],
              }
            : {}),
          encoding: { x, y, color, strokeDash, opacity },
        },
        {
          mark: { type: 'point', filled: true, size: 26, clip: true },
          encoding: {
            x,
            y,
            color,
            opacity,
            tooltip: [
              { field: 'series', type: 'nominal' },
              { field: 'x', type: 'quantitative', title: spec.xLabel, format: '.6~g' },
              { field: 'y', type: 'quantitative', title, format: '.6~g' },
            ],
          },
        },
      ],
    };
  };
  const hasRight = spec.series.some((s) => s.axis === 'right');
  const guides = markers.length
    ? [
        {
          data: { values: markers },
          layer: [
            {
              mark: { type: 'rule', color: '#888888', strokeDash: [3, 3] },
              encoding: { x: { field: 'x', type: 'quantitative' } },
            },
            {
              mark: { type: 'text', baseline: 'top', dy: 4, dx: 4, align: 'left', fontSize: 11.5 },
              encoding: {
                x: { field: 'x', type: 'quantitative' },
                y: { value: 0 },
                text: { field: 'label' },
              },
            },
          ],
        },
      ]
    : [];
  return {
    ...vegaLiteHeader(spec.title, width, height),
    layer: [side('left', true), ...(hasRight ? [side('right', false)] : []), ...guides],
    ...(hasRight ? { resolve: { scale: { y: 'independent' } } } : {}),
  } as unknown as VegaLiteSpec;
}

function validate(spec: LineChartSpec): void {
  checkText(spec.title, 'title');
  checkSize(spec.width, spec.height);
  checkList(spec.series, 'series');
  spec.series.forEach((s, i) => {
    checkText(s.name, `series[${i}].name`);
    if (s.axis !== 'left' && s.axis !== 'right')
      throw expected(`'left' or 'right'`, `series[${i}].axis`, s.axis);
    if (s.axis === 'right' && spec.rightLabel === undefined)
      throw expected('a rightLabel', `series[${i}] on the right axis`, spec.rightLabel);
    if (!Array.isArray(s.points)) throw expected('an array', `series[${i}].points`, s.points);
    s.points.forEach((p, j) => checkFinite(p?.[0], `series[${i}].points[${j}][0]`));
  });
  (spec.markers ?? []).forEach((m, i) => checkFinite(m.x, `markers[${i}].x`));
}
