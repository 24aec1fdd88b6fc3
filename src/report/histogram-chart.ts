/**
 * Histogram counts as grouped bars, for Experiment B's tables: per bin of 0.5 d
 * ("[0, 0.5)", ..., ">= 10"), one bar per series (one series per batch size B). The bins
 * are given as labels, not recomputed, so the figure shows exactly the counts reported.
 * Bins are categories, so the bars of one bin stand side by side; crowded bin labels slant.
 */
import { linearAxis, project } from './axis';
import { grid, slantX, xAxis, xAxisMargin, yAxis, yAxisMargin, type Rect } from './axes';
import { PAD, svgDocument, tag, titleHeight } from './document';
import { legend } from './legend';
import { paletteColor } from './svg';
import { expected } from '../engine/errors';
import { checkList, checkSize, checkText } from './validate';

export interface HistogramChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  bins: string[];
  series: { name: string; counts: number[]; color?: string }[];
  width?: number;
  height?: number;
}

const BAR_OPACITY = 0.85;

export function histogramChart(spec: HistogramChartSpec): string {
  validate(spec);
  const { width = 720, height = 460 } = spec;
  const colors = spec.series.map((s, i) => s.color ?? paletteColor(i));
  const items = spec.series.map((s, i) => ({
    label: s.name,
    color: colors[i],
    symbol: 'box' as const,
    fillOpacity: BAR_OPACITY,
  }));
  const key = legend(items, PAD, titleHeight(spec.title), width - 2 * PAD);
  const top = titleHeight(spec.title) + key.height + 10;
  const counts = spec.series.flatMap((s) => s.counts);
  const y = linearAxis([0, ...counts], Math.max(3, Math.round((height - top - 90) / 60)));
  const left = PAD + yAxisMargin(y.labels, spec.yLabel);
  const plotWidth = width - left - 2 * PAD;
  const slot = plotWidth / spec.bins.length;
  const slant = slantX(spec.bins, slot);
  const rect: Rect = {
    x: left,
    y: top,
    width: plotWidth,
    height: height - top - xAxisMargin(spec.bins, slant, spec.xLabel),
  };
  const py = (v: number) => project(y, v, rect.y + rect.height, rect.y);
  const barWidth = (slot * 0.8) / spec.series.length;
  const bars = spec.series.map((s, j) => {
    const rects = s.counts
      .map((c, i) =>
        c > 0
          ? tag('rect', {
              class: 'bar',
              x: rect.x + slot * (i + 0.1) + barWidth * j,
              y: py(c),
              width: barWidth,
              height: py(0) - py(c),
            })
          : '',
      )
      .join('');
    return tag('g', { 'data-series': s.name, fill: colors[j], 'fill-opacity': BAR_OPACITY }, rects);
  });
  const body = [
    grid(rect, y.ticks.map(py)),
    ...bars,
    yAxis(
      rect,
      y.ticks.map((t, i) => ({ at: py(t), label: y.labels[i] })),
      'left',
      spec.yLabel,
    ),
    xAxis(
      rect,
      spec.bins.map((label, i) => ({ at: rect.x + slot * (i + 0.5), label })),
      spec.xLabel,
      slant,
    ),
    key.svg,
  ];
  return svgDocument(width, height, spec.title, body);
}

function validate(spec: HistogramChartSpec): void {
  checkText(spec.title, 'title');
  checkSize(spec.width, spec.height);
  checkList(spec.bins, 'bins');
  checkList(spec.series, 'series');
  spec.series.forEach((s, i) => {
    checkText(s.name, `series[${i}].name`);
    if (
      !Array.isArray(s.counts) ||
      s.counts.length !== spec.bins.length ||
      !s.counts.every((c) => Number.isFinite(c) && c >= 0)
    )
      throw expected(
        `${spec.bins.length} counts >= 0 (one per bin)`,
        `series[${i}].counts`,
        s.counts,
      );
  });
}
