/**
 * Experiment A's figures. Keskar's parametric plot: alpha on x, cross-entropy on
 * the left axis (log scale), accuracy in % on the right; train solid, test dashed;
 * the two solutions marked. And a contour map of a loss surface.
 */
import type { LineResult } from '../analysis/loss-line';
import type { SurfaceResult } from '../analysis/loss-surface';
import { contourChart } from './contour-chart';
import { lineChart } from './line-chart';
import { tableCsv } from './table';
import { quantityLabels, type QuantityLabels } from './quantity-labels';

const BLUE = '#0072B2';
const ORANGE = '#D55E00';

export function lineFigure(
  r: LineResult,
  title?: string,
  words: QuantityLabels = quantityLabels(false),
): string {
  const series = (set: 'train' | 'test', key: 'loss' | 'accuracy') =>
    r.points.map((p): [number, number | null] => {
      const m = p[set];
      if (!m) return [p.alpha, null];
      return [p.alpha, key === 'loss' ? m.loss : 100 * m.accuracy];
    });
  return lineChart({
    title: title ?? `w_a = ${r.from}, w_b = ${r.to} (batch norm: ${r.bn})`,
    xLabel: 'α, in w(α) = (1 − α) w_a + α w_b',
    leftLabel: `${words.crossEntropy} (log scale)`,
    rightLabel: `${words.accuracy} (%)`,
    logLeft: true,
    series: [
      {
        name: `train ${words.crossEntropy}`,
        axis: 'left',
        points: series('train', 'loss'),
        color: BLUE,
      },
      {
        name: `test ${words.crossEntropy}`,
        axis: 'left',
        points: series('test', 'loss'),
        dash: true,
        color: BLUE,
      },
      {
        name: `train ${words.accuracy}`,
        axis: 'right',
        points: series('train', 'accuracy'),
        color: ORANGE,
      },
      {
        name: `test ${words.accuracy}`,
        axis: 'right',
        points: series('test', 'accuracy'),
        dash: true,
        color: ORANGE,
      },
    ],
    markers: [
      { x: 0, label: 'w_a' },
      { x: 1, label: 'w_b' },
    ],
  });
}

export function surfaceFigure(r: SurfaceResult, title?: string): string {
  return contourChart({
    title: title ?? `${r.set} loss over ${r.directions} directions (batch norm: ${r.bn})`,
    xLabel: r.directions === 'filter-normalised random' ? 'direction 1' : 'x (b − a)',
    yLabel:
      r.directions === 'filter-normalised random' ? 'direction 2' : 'y (c − a, orthogonalised)',
    zLabel: `${r.set} cross-entropy`,
    x: r.xs,
    y: r.ys,
    z: r.loss,
    logZ: true,
    points: r.solutions.map((s) => ({ x: s.x, y: s.y, label: s.label })),
  });
}

/** alpha, train loss, train accuracy, test loss, test accuracy, reason (CSV). */
export function lineCsv(r: LineResult): string {
  return tableCsv({
    head: [
      'alpha',
      'train_loss',
      'train_accuracy',
      'test_loss',
      'test_accuracy',
      'undefined_reason',
    ],
    rows: r.points.map((p) => [
      p.alpha,
      p.train?.loss ?? null,
      p.train?.accuracy ?? null,
      p.test?.loss ?? null,
      p.test?.accuracy ?? null,
      p.undefinedReason || null,
    ]),
  });
}
