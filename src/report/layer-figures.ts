/**
 * Per-layer views (layer-blocks.ts) as figures, parameter groups on x by their module's
 * index in the layer list, log y:
 * - gradient noise at one analysis point: the mean |g_B,g - g_train,g| / d of each B (solid)
 *   and |g_train,g| / d (dashed);
 * - curvature of one solution: the top eigenvalue and the trace of each block P H P.
 * A value <= 0 (a block whose top eigenvalue is negative) breaks its line, as on any log axis.
 */
import type { LayerNoise } from '../analysis/gradient-distribution';
import type { BlockCurvature } from '../analysis/layer-blocks';
import { lineChart, type LineSeries } from './line-chart';

const layerOf = (group: string): number => Number(group.split(' ')[0]);

export function layerNoiseFigure(title: string, layers: LayerNoise[]): string {
  const sizes = layers[0]?.meanToTrain.map((x) => x.batchSize) ?? [];
  const series: LineSeries[] = [
    ...sizes.map((b, j) => ({
      name: `B=${b}: mean |g_B − g_train| per group`,
      axis: 'left' as const,
      points: layers.map((l): [number, number] => [layerOf(l.group), l.meanToTrain[j]!.mean]),
    })),
    {
      name: '|g_train| per group',
      axis: 'left',
      dash: true,
      points: layers.map((l): [number, number] => [layerOf(l.group), l.gTrainNorm]),
    },
  ];
  return lineChart({
    title,
    xLabel: 'parameter group (module index in the layer list)',
    leftLabel: 'units of d (log)',
    logLeft: true,
    series,
  });
}

export function layerCurvatureFigure(title: string, blocks: BlockCurvature[]): string {
  return lineChart({
    title,
    xLabel: 'parameter group (module index in the layer list)',
    leftLabel: 'block of the Hessian (log)',
    logLeft: true,
    series: [
      {
        name: 'top eigenvalue of P H P',
        axis: 'left',
        points: blocks.map((b): [number, number] => [layerOf(b.group), b.topEigenvalue]),
      },
      {
        name: 'trace of P H P (Hutchinson)',
        axis: 'left',
        dash: true,
        points: blocks.map((b): [number, number] => [layerOf(b.group), b.trace]),
      },
    ],
  });
}
