/**
 * The figure library: charts as Vega-Lite specs rendered to static SVG strings (no DOM, no
 * browser; each carries its spec for the live report), PNG conversion, and saving both.
 * One import for the experiments' report code.
 */
export { boxChart, type BoxChartSpec } from './box-chart';
export { boxStats, quantile, type BoxStats } from './box-stats';
export { contourChart, type ContourChartSpec } from './contour-chart';
export { histogramChart, type HistogramChartSpec } from './histogram-chart';
export { lineChart, type LineChartSpec, type LineSeries } from './line-chart';
export { svgToPng, type PngOptions } from './png';
export { PALETTE } from './svg';
export { specOfSvg, vegaLiteSvg, type VegaLiteSpec } from './vega-lite';
export { writeFigure, type FigureFiles } from './write-figure';
