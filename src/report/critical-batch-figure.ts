/**
 * The critical batch size along training (docs/mathematics.md, "The critical batch size by
 * branching"): Merrill et al.'s critical batch size measured by branching at checkpoints of
 * process 1, and process 1's live B_simple (McCandlish et al.'s noise scale) on the same axes,
 * both in examples against epochs of training, on a log scale: does the noise scale predict it?
 */
import { lineChart, type LineSeries } from './line-chart';
import { PALETTE } from './svg';

/** What the figure needs of a critical-batch result (src/analysis/critical-batch.ts). */
export interface CriticalBatchPoints {
  points: { epoch: number; criticalBatch: number }[];
  batchSizes: number[];
}

/** The figure; `noise` is process 1's live B_simple as [epochs of training, B_simple]. */
export function criticalBatchFigure(
  result: CriticalBatchPoints,
  noise: [number, number][],
  title = 'Critical batch size by branching, and the live noise scale',
): string {
  const series: LineSeries[] = [
    {
      name: 'critical batch size',
      axis: 'left',
      points: result.points.map((p): [number, number] => [p.epoch, p.criticalBatch]),
      color: PALETTE[0]!,
    },
  ];
  if (noise.length > 0)
    series.push({ name: 'live B_simple', axis: 'left', points: noise, color: PALETTE[1]! });
  const grid = result.batchSizes;
  return lineChart({
    title,
    xLabel: 'epochs of training (process 1)',
    leftLabel: `batch size, examples (log scale; grid ${grid[0]} to ${grid[grid.length - 1]})`,
    logLeft: true,
    series,
  });
}
