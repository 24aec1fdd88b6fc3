/**
 * A line chart with a left y axis and an optional right one: Keskar's parametric plot
 * (alpha on x, cross-entropy on the left, accuracy on the right, train solid and test
 * dashed, guides at the two solutions alpha = 0 and 1) and training curves alike.
 *
 * A null y (an undefined value, e.g. a negative running variance) breaks the line there
 * rather than being bridged or drawn as zero; a point with no neighbour is drawn as a dot.
 * On a log axis a y <= 0 breaks the line the same way. Gridlines follow the left axis.
 */
import { linearAxis, logAxis, plottable, project, type Axis } from './axis';
import { grid, slantX, xAxis, xAxisMargin, yAxis, yAxisMargin, type Rect } from './axes';
import { PAD, svgDocument, tag, text, titleHeight } from './document';
import { legend } from './legend';
import { DASHED, FONT_SIZE, num, paletteColor, textWidth } from './svg';
import { expected } from '../engine/errors';
import { checkFinite, checkList, checkSize, checkText } from './validate';

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

export function lineChart(spec: LineChartSpec): string {
  validate(spec);
  const { width = 720, height = 460, markers = [] } = spec;
  const colors = spec.series.map((s, i) => s.color ?? paletteColor(i));
  const items = spec.series.map((s, i) => ({
    label: s.name,
    color: colors[i],
    symbol: 'line' as const,
    dash: s.dash ? DASHED : undefined,
  }));
  const key = legend(items, PAD, titleHeight(spec.title), width - 2 * PAD);
  const top = titleHeight(spec.title) + key.height + (markers.length ? FONT_SIZE.tick + 12 : 10);
  const yTarget = Math.max(3, Math.round((height - top - 70) / 60));
  const ys = (side: 'left' | 'right', log: boolean) =>
    plottable(
      spec.series.filter((s) => s.axis === side).flatMap((s) => s.points.map((p) => p[1])),
      log,
    );
  const left = spec.logLeft ? logAxis(ys('left', true)) : linearAxis(ys('left', false), yTarget);
  const hasRight = spec.series.some((s) => s.axis === 'right') || spec.rightLabel !== undefined;
  const right = hasRight ? linearAxis(ys('right', false), yTarget) : undefined;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0])).concat(markers.map((m) => m.x));
  const x = linearAxis(xs, Math.max(3, Math.round(width / 100)));
  const marginLeft = PAD + yAxisMargin(left.labels, spec.leftLabel);
  const lastLabel = textWidth(x.labels[x.labels.length - 1], FONT_SIZE.tick) / 2;
  const marginRight = right
    ? PAD + yAxisMargin(right.labels, spec.rightLabel)
    : Math.max(PAD + 8, lastLabel + PAD);
  const plotWidth = width - marginLeft - marginRight;
  const slant = slantX(x.labels, plotWidth / Math.max(1, x.ticks.length - 1));
  const rect: Rect = {
    x: marginLeft,
    y: top,
    width: plotWidth,
    height: height - top - xAxisMargin(x.labels, slant, spec.xLabel),
  };
  const px = (v: number) => project(x, v, rect.x, rect.x + rect.width);
  const py = (axis: Axis, v: number) => project(axis, v, rect.y + rect.height, rect.y);
  const ticks = (axis: Axis, at: (v: number) => number) =>
    axis.ticks.map((t, i) => ({ at: at(t), label: axis.labels[i] }));
  const axisColor = (side: 'left' | 'right') => {
    const used = new Set(colors.filter((_, i) => spec.series[i].axis === side));
    return right && used.size === 1 ? [...used][0] : undefined;
  };
  const body = [
    grid(
      rect,
      left.ticks.map((t) => py(left, t)),
    ),
    ...markers.map((m) =>
      tag('path', {
        class: 'marker',
        d: `M${num(px(m.x))} ${num(rect.y)}v${num(rect.height)}`,
        stroke: '#888888',
        'stroke-dasharray': '3 3',
        fill: 'none',
      }),
    ),
    ...spec.series.map((s, i) => {
      const axis = s.axis === 'left' ? left : (right as Axis);
      return seriesPath(s, colors[i], px, (v) => py(axis, v), axis.log);
    }),
    yAxis(
      rect,
      ticks(left, (v) => py(left, v)),
      'left',
      spec.leftLabel,
      axisColor('left'),
    ),
    right
      ? yAxis(
          rect,
          ticks(right, (v) => py(right, v)),
          'right',
          spec.rightLabel,
          axisColor('right'),
        )
      : '',
    xAxis(rect, ticks(x, px), spec.xLabel, slant),
    ...markers.map((m) =>
      text(px(m.x), rect.y - 6, m.label, { 'text-anchor': 'middle', 'font-size': FONT_SIZE.tick }),
    ),
    key.svg,
  ];
  return svgDocument(width, height, spec.title, body);
}

/** One path per series, a new subpath after every break; dots for isolated points. */
function seriesPath(
  series: LineSeries,
  color: string,
  px: (v: number) => number,
  py: (v: number) => number,
  log: boolean,
): string {
  const runs: [number, number][][] = [[]];
  for (const [x, y] of series.points) {
    if (y === null || !Number.isFinite(y) || (log && y <= 0)) runs.push([]);
    else runs[runs.length - 1].push([px(x), py(y)]);
  }
  const lines = runs.filter((r) => r.length > 1);
  const d = lines
    .map((r) => r.map(([x, y], i) => `${i ? 'L' : 'M'}${num(x)} ${num(y)}`).join(''))
    .join('');
  const dots = runs
    .filter((r) => r.length === 1)
    .map(([[x, y]]) => tag('circle', { cx: x, cy: y, r: 2.5, fill: color }))
    .join('');
  const path = tag('path', {
    class: 'series',
    'data-series': series.name,
    d: d || undefined,
    stroke: color,
    'stroke-width': 2,
    'stroke-dasharray': series.dash ? DASHED : undefined,
    'stroke-linejoin': 'round',
    fill: 'none',
  });
  return tag('g', { class: 'line' }, path + dots);
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
