/**
 * The figure library: charts as SVG strings (no DOM, no browser), PNG conversion, and
 * saving both. One import for the experiments' report code.
 */
export { boxChart, type BoxChartSpec } from './box-chart';
export { boxStats, quantile, type BoxStats } from './box-stats';
export { contourChart, type ContourChartSpec } from './contour-chart';
export { histogramChart, type HistogramChartSpec } from './histogram-chart';
export { lineChart, type LineChartSpec, type LineSeries } from './line-chart';
export { svgToPng, type PngOptions } from './png';
export { PALETTE } from './svg';
export { writeFigure, type FigureFiles } from './write-figure';
