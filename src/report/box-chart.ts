/**
 * Box plots grouped by category, for Experiment B: the distribution of |g_B - g_total|/d
 * over the K batches, one box per batch size B, one group per analysis point (or the
 * reverse). A box name keeps its colour in every group, and the legend names them.
 *
 * Box: quartiles; line: median; whiskers: the furthest data within 1.5 IQR; hollow dots:
 * the outliers beyond (quartiles as numpy's default; see box-stats.ts).
 */
import { linearAxis, project } from './axis';
import { grid, slantX, xAxis, xAxisMargin, yAxis, yAxisMargin, type Rect } from './axes';
import { boxStats, type BoxStats } from './box-stats';
import { PAD, svgDocument, tag, titleHeight } from './document';
import { legend } from './legend';
import { num, paletteColor } from './svg';
import { checkFinite, checkList, checkSize, checkText } from './validate';

const BOX_OPACITY = 0.35;

export interface BoxChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  groups: { label: string; boxes: { name: string; values: number[] }[] }[];
  /** Colour per box name; the palette in order of first appearance otherwise. */
  colors?: Record<string, string>;
  width?: number;
  height?: number;
}

export function boxChart(spec: BoxChartSpec): string {
  validate(spec);
  const { width = 720, height = 460 } = spec;
  const names = [...new Set(spec.groups.flatMap((g) => g.boxes.map((b) => b.name)))];
  const color = (name: string) => spec.colors?.[name] ?? paletteColor(names.indexOf(name));
  const items = names.map((name) => ({
    label: name,
    color: color(name),
    symbol: 'box' as const,
    fillOpacity: BOX_OPACITY,
  }));
  const key = legend(items, PAD, titleHeight(spec.title), width - 2 * PAD);
  const top = titleHeight(spec.title) + key.height + 10;
  const values = spec.groups.flatMap((g) => g.boxes.flatMap((b) => b.values));
  const y = linearAxis(values, Math.max(3, Math.round((height - top - 70) / 60)));
  const left = PAD + yAxisMargin(y.labels, spec.yLabel);
  const plotWidth = width - left - 2 * PAD;
  const slot = plotWidth / spec.groups.length;
  const labels = spec.groups.map((g) => g.label);
  const slant = slantX(labels, slot);
  const rect: Rect = {
    x: left,
    y: top,
    width: plotWidth,
    height: height - top - xAxisMargin(labels, slant, spec.xLabel),
  };
  const py = (v: number) => project(y, v, rect.y + rect.height, rect.y);
  const boxes = spec.groups.flatMap((g, i) => {
    const inner = (slot * 0.8) / g.boxes.length;
    const boxWidth = Math.min(40, inner * 0.75);
    return g.boxes.map((b, j) => {
      const cx = rect.x + slot * (i + 0.1) + inner * (j + 0.5);
      const stats = boxStats(b.values);
      return stats ? drawBox(b.name, stats, cx, boxWidth, color(b.name), py) : '';
    });
  });
  const body = [
    grid(rect, y.ticks.map(py)),
    ...boxes,
    yAxis(
      rect,
      y.ticks.map((t, i) => ({ at: py(t), label: y.labels[i] })),
      'left',
      spec.yLabel,
    ),
    xAxis(
      rect,
      labels.map((label, i) => ({ at: rect.x + slot * (i + 0.5), label })),
      spec.xLabel,
      slant,
    ),
    key.svg,
  ];
  return svgDocument(width, height, spec.title, body);
}

function drawBox(
  name: string,
  s: BoxStats,
  cx: number,
  w: number,
  color: string,
  py: (v: number) => number,
): string {
  const [x0, cap] = [cx - w / 2, w / 4];
  const whiskers =
    `M${num(cx)} ${num(py(s.q3))}V${num(py(s.whiskerHigh))}m${num(-cap)} 0h${num(2 * cap)}` +
    `M${num(cx)} ${num(py(s.q1))}V${num(py(s.whiskerLow))}m${num(-cap)} 0h${num(2 * cap)}`;
  const parts = [
    tag('path', { d: whiskers, stroke: color, 'stroke-width': 1.5, fill: 'none' }),
    tag('rect', {
      x: x0,
      y: py(s.q3),
      width: w,
      height: Math.max(0.5, py(s.q1) - py(s.q3)),
      fill: color,
      'fill-opacity': BOX_OPACITY,
      stroke: color,
      'stroke-width': 1.5,
    }),
    tag('path', {
      class: 'median',
      d: `M${num(x0)} ${num(py(s.median))}h${num(w)}`,
      stroke: '#222222',
      'stroke-width': 2,
      fill: 'none',
    }),
    ...s.outliers.map((v) =>
      tag('circle', {
        class: 'outlier',
        cx,
        cy: py(v),
        r: 2.5,
        fill: 'none',
        stroke: color,
        'stroke-width': 1.2,
      }),
    ),
  ];
  return tag('g', { class: 'box', 'data-box': name }, parts.join(''));
}

function validate(spec: BoxChartSpec): void {
  checkText(spec.title, 'title');
  checkSize(spec.width, spec.height);
  checkList(spec.groups, 'groups');
  spec.groups.forEach((g, i) => {
    checkText(g.label, `groups[${i}].label`);
    checkList(g.boxes, `groups[${i}].boxes`);
    g.boxes.forEach((b, j) => {
      checkText(b.name, `groups[${i}].boxes[${j}].name`);
      if (!Array.isArray(b.values)) checkList(b.values, `groups[${i}].boxes[${j}].values`);
      b.values.forEach((v, k) => checkFinite(v, `groups[${i}].boxes[${j}].values[${k}]`));
    });
  });
}
