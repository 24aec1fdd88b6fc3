/**
 * A filled contour plot of a value over a 2-D grid (a loss surface over two directions, or
 * over the plane through three solutions): bands between nice levels in viridis, an
 * isoline on each inner level, a colour bar, and optional marked points (the solutions).
 *
 * Orientation: z[i][j] is the value at (x[i], y[j]), so z has x.length rows of y.length
 * values (the transpose of matplotlib's contourf(X, Y, Z) layout). x and y increase. A null
 * z is undefined: the cells around it are left blank (light grey). With logZ, levels are
 * 1-2-5 per decade and values <= 0 count as undefined, as a loss spanning decades needs.
 */
import { linearAxis, logAxis, plottable, project, type Axis } from './axis';
import { xAxis, xAxisMargin, yAxis, yAxisMargin, type Rect } from './axes';
import { BAR_WIDTH, barLabels, colorBar } from './color-bar';
import { bandPaths } from './contour-bands';
import { viridis } from './colormap';
import { PAD, svgDocument, tag, text, titleHeight } from './document';
import { isoline } from './isolines';
import { FONT_SIZE, paletteColor } from './svg';
import { expected } from '../engine/errors';
import { checkFinite, checkList, checkSize, checkText } from './validate';

export interface ContourChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Title of the colour bar. */
  zLabel: string;
  x: number[];
  y: number[];
  z: (number | null)[][];
  logZ?: boolean;
  /** About how many bands (linear levels); default 10. */
  levels?: number;
  points?: { x: number; y: number; label: string }[];
  /** Paths drawn over the surface (a training trajectory): a line through the points, a dot
   * at each, the point's label (an epoch) beside it, the path's label at its end. */
  paths?: { label: string; points: { x: number; y: number; label?: string }[] }[];
  width?: number;
  height?: number;
}

export function contourChart(spec: ContourChartSpec): string {
  validate(spec);
  const { width = 640, height = 520, logZ = false, points = [] } = spec;
  const levelAxis: Axis = logZ
    ? logAxis(plottable(spec.z.flat(), true))
    : linearAxis(plottable(spec.z.flat()), spec.levels ?? 10);
  const f = logZ ? (v: number) => Math.log10(v) : (v: number) => v;
  const z = spec.z.map((row) => row.map((v) => (v === null || (logZ && v <= 0) ? null : f(v))));
  const levels = levelAxis.ticks.map(f);
  const top = titleHeight(spec.title) + 10;
  const xs = linearAxis(spec.x, Math.max(3, Math.round(width / 110)), 'within');
  const ys = linearAxis(spec.y, Math.max(3, Math.round(height / 90)), 'within');
  const right = PAD + 20 + BAR_WIDTH + yAxisMargin(barLabels(levelAxis), spec.zLabel);
  const left = PAD + yAxisMargin(ys.labels, spec.yLabel);
  const rect: Rect = {
    x: left,
    y: top,
    width: width - left - right,
    height: height - top - xAxisMargin(xs.labels, false, spec.xLabel),
  };
  const px = (v: number) => project(xs, v, rect.x, rect.x + rect.width);
  const py = (v: number) => project(ys, v, rect.y + rect.height, rect.y);
  const [gx, gy] = [spec.x.map(px), spec.y.map(py)];
  const color = (k: number) => viridis((k + 0.5) / (levels.length - 1));
  const bands = bandPaths(gx, gy, z, levels).map((d, k) =>
    d
      ? tag('path', { class: 'band', d, fill: color(k), stroke: color(k), 'stroke-width': 0.6 })
      : '',
  );
  const lines = levels
    .slice(1, -1)
    .map((level) => isoline(gx, gy, z, level))
    .map((d) =>
      d
        ? tag('path', {
            class: 'isoline',
            d,
            stroke: '#1a1a1a',
            'stroke-opacity': 0.45,
            fill: 'none',
          })
        : '',
    );
  const bar: Rect = {
    x: rect.x + rect.width + 20,
    y: rect.y,
    width: BAR_WIDTH,
    height: rect.height,
  };
  const body = [
    tag('rect', { ...rect, fill: '#eeeeee' }),
    ...bands,
    ...lines,
    ...(spec.paths ?? []).map((p, k) => drawnPath(p, k, px, py)),
    ...points.map((p) => marked(px(p.x), py(p.y), p.label)),
    tag('rect', { ...rect, fill: 'none', stroke: '#555555' }),
    yAxis(
      rect,
      ys.ticks.map((t, k) => ({ at: py(t), label: ys.labels[k] })),
      'left',
      spec.yLabel,
    ),
    xAxis(
      rect,
      xs.ticks.map((t, k) => ({ at: px(t), label: xs.labels[k] })),
      spec.xLabel,
      false,
    ),
    colorBar(bar, levelAxis, color, spec.zLabel),
  ];
  return svgDocument(width, height, spec.title, body);
}

function drawnPath(
  p: NonNullable<ContourChartSpec['paths']>[number],
  k: number,
  px: (v: number) => number,
  py: (v: number) => number,
): string {
  const color = paletteColor(k + 1);
  const xy = p.points.map((q) => [px(q.x), py(q.y)] as const);
  const halo = {
    'font-size': FONT_SIZE.tick,
    stroke: '#ffffff',
    'stroke-width': 3,
    'stroke-linejoin': 'round',
    'paint-order': 'stroke',
  };
  const parts = [
    tag('polyline', {
      points: xy.map(([x, y]) => `${x.toFixed(2)},${y.toFixed(2)}`).join(' '),
      fill: 'none',
      stroke: color,
      'stroke-width': 2,
    }),
    ...xy.map(
      ([x, y], i) =>
        tag('circle', { cx: x, cy: y, r: 3, fill: color, stroke: '#ffffff', 'stroke-width': 0.8 }) +
        (p.points[i]!.label ? text(x + 5, y + 12, p.points[i]!.label!, halo) : ''),
    ),
  ];
  const end = xy[xy.length - 1];
  if (end)
    parts.push(
      text(end[0] + 6, end[1] - 8, p.label, { ...halo, 'font-weight': 'bold', fill: color }),
    );
  return tag('g', { class: 'path' }, parts.join(''));
}

/** A solution on the surface: a ringed dot, its label haloed in white to stay legible. */
function marked(x: number, y: number, label: string): string {
  const dot = tag('circle', {
    cx: x,
    cy: y,
    r: 4.5,
    fill: '#ffffff',
    stroke: '#000000',
    'stroke-width': 1.8,
  });
  const name = text(x + 8, y - 8, label, {
    'font-size': FONT_SIZE.legend,
    'font-weight': 'bold',
    stroke: '#ffffff',
    'stroke-width': 3,
    'stroke-linejoin': 'round',
    'paint-order': 'stroke',
  });
  return tag('g', { class: 'point' }, dot + name);
}

function validate(spec: ContourChartSpec): void {
  checkText(spec.title, 'title');
  checkSize(spec.width, spec.height);
  for (const [axis, option] of [
    [spec.x, 'x'],
    [spec.y, 'y'],
  ] as const) {
    checkList(axis, option);
    axis.forEach((v, i) => checkFinite(v, `${option}[${i}]`));
    if (axis.length < 2 || axis.some((v, i) => i > 0 && v <= axis[i - 1]))
      throw expected('at least 2 increasing coordinates', option, axis);
  }
  if (
    !Array.isArray(spec.z) ||
    spec.z.length !== spec.x.length ||
    spec.z.some((row) => !Array.isArray(row) || row.length !== spec.y.length)
  )
    throw expected(
      `${spec.x.length} rows of ${spec.y.length} values (z[i][j] at x[i], y[j])`,
      'z',
      spec.z,
    );
  spec.z.forEach((row, i) =>
    row.forEach((v, j) => {
      if (v !== null) checkFinite(v, `z[${i}][${j}]`);
    }),
  );
  if (plottable(spec.z.flat(), spec.logZ).length === 0)
    throw expected(spec.logZ ? 'some positive values' : 'some values', 'z', spec.z);
  (spec.points ?? []).forEach((p, i) => {
    checkFinite(p.x, `points[${i}].x`);
    checkFinite(p.y, `points[${i}].y`);
  });
}
