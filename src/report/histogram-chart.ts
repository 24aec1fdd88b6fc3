/**
 * Histogram counts as grouped bars, for Experiment B's tables: per bin of 0.5 d
 * ("[0, 0.5)", ..., ">= 10"), one bar per series (one series per batch size B). The bins
 * are given as labels, not recomputed, so the figure shows exactly the counts reported.
 * Bins are categories, so the bars of one bin stand side by side.
 *
 * A Vega-Lite spec (vega-lite.ts renders it): each bar's tooltip gives its series, bin and
 * count; the legend toggles a series.
 */
import { paletteColor } from './svg';
import { expected } from '../core/errors';
import { checkList, checkSize, checkText } from './validate';
import { vegaLiteHeader, vegaLiteSvg, type VegaLiteSpec } from './vega-lite';
import { SERIES_TOGGLE } from './line-chart';

export interface HistogramChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  bins: string[];
  series: { name: string; counts: number[]; color?: string }[];
  width?: number;
  height?: number;
}

export function histogramChart(spec: HistogramChartSpec): string {
  return vegaLiteSvg(histogramChartSpec(spec));
}

export function histogramChartSpec(spec: HistogramChartSpec): VegaLiteSpec {
  validate(spec);
  const { width = 720, height = 460 } = spec;
  const names = spec.series.map((s) => s.name);
  const colors = spec.series.map((s, i) => s.color ?? paletteColor(i));
  const values = spec.series.flatMap((s) =>
    s.counts.map((count, i) => ({ series: s.name, bin: spec.bins[i], count })),
  );
  return {
    ...vegaLiteHeader(spec.title, width, height),
    data: { values },
    params: [
      { name: SERIES_TOGGLE, select: { type: 'point', fields: ['series'] }, bind: 'legend' },
    ],
    mark: { type: 'bar', opacity: 0.85 },
    encoding: {
      x: {
        field: 'bin',
        type: 'nominal',
        sort: spec.bins,
        title: spec.xLabel,
        axis: { labelAngle: spec.bins.length > 12 ? -40 : 0 },
      },
      xOffset: { field: 'series', type: 'nominal', sort: names },
      y: { field: 'count', type: 'quantitative', title: spec.yLabel },
      color: { field: 'series', type: 'nominal', scale: { domain: names, range: colors } },
      opacity: { condition: { param: SERIES_TOGGLE, value: 0.85 }, value: 0.12 },
      tooltip: [
        { field: 'series', type: 'nominal' },
        { field: 'bin', type: 'nominal', title: spec.xLabel },
        { field: 'count', type: 'quantitative', title: spec.yLabel },
      ],
    },
  } as unknown as VegaLiteSpec;
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
