/**
 * Experiment B's figures: at one analysis point, the distribution over the K draws
 * of |g_B - g_train|/d and |g_B - g_total|/d for each B (box plots); along an arm,
 * |g_B - g_total|/d per B against epoch.
 */
import { boxChart } from './box-chart';
import type { AnalysisPoint } from './gradient-tables';

export function gradientPointFigure(p: AnalysisPoint): string {
  return boxChart({
    title: `Experiment B: ${p.label}`,
    xLabel: 'batch size B',
    yLabel: 'distance in units of d = |g_train − g_total|',
    groups: p.analysis.batchSizes.map((b) => ({
      label: `B = ${b.batchSize}`,
      boxes: [
        { name: '|g_B − g_train| / d', values: b.draws.map((x) => x.toTrain) },
        { name: '|g_B − g_total| / d', values: b.draws.map((x) => x.toTotal) },
      ],
    })),
  });
}

export function gradientPhaseFigure(phase: string, points: AnalysisPoint[]): string {
  return boxChart({
    title: `|g_B − g_total| / d along ${phase}`,
    xLabel: 'epoch',
    yLabel: '|g_B − g_total| / d',
    groups: points.map((p) => ({
      label: String(p.epoch),
      boxes: p.analysis.batchSizes.map((b) => ({
        name: `B = ${b.batchSize}`,
        values: b.draws.map((x) => x.toTotal),
      })),
    })),
  });
}
