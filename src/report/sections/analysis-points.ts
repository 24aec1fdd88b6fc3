/**
 * Experiment B, every analysis point: folded under its d, |g_train|/d, |g_total|/d and
 * cos(g_train, g_total), its histograms and the statistics of both distances per B; then,
 * when measured, its per-parameter-group table and figure.
 */
import { formatNumber as f } from '../format-number';
import { gradientHistogramTable, gradientLayerTable, type AnalysisPoint } from '../gradient-tables';
import { layerNoiseFigure } from '../layer-figures';
import type { Block } from '../section';
import type { Table } from '../table';

/** Per B: mean, median, min and max of |g_B − g_train|/d and of |g_B − g_total|/d. */
function distanceTable(p: AnalysisPoint): Table {
  return {
    head: [
      'B',
      'mean |g_B − g_train|/d',
      'median',
      'min',
      'max',
      'mean |g_B − g_total|/d',
      'median',
      'min',
      'max',
    ],
    rows: p.analysis.batchSizes.map((b) => [
      String(b.batchSize),
      f(b.toTrain.mean, 3),
      f(b.toTrain.median, 3),
      f(b.toTrain.min, 3),
      f(b.toTrain.max, 3),
      f(b.toTotal.mean, 3),
      f(b.toTotal.median, 3),
      f(b.toTotal.min, 3),
      f(b.toTotal.max, 3),
    ]),
  };
}

/** The blocks of one analysis point of seed `seed`. */
export function analysisPointBlocks(p: AnalysisPoint, seed: number): Block[] {
  const a = p.analysis;
  const blocks: Block[] = [
    {
      kind: 'details',
      summary: `${p.label}: d = ${f(a.d, 5)}, |g_train|/d = ${f(a.gTrainNorm, 3)}, |g_total|/d = ${f(a.gTotalNorm, 3)}, cos(g_train, g_total) = ${f(a.cosTrainTotal, 4)}`,
      blocks: [
        { kind: 'table', table: gradientHistogramTable(a) },
        { kind: 'table', table: distanceTable(p) },
      ],
    },
  ];
  if (a.layers?.length) {
    const name = `gradients-layers-seed-${seed}-${p.phase}-epoch-${p.epoch}`;
    blocks.push(
      {
        kind: 'paragraph',
        text: `${p.label}, per parameter group g (the tr(F_g) add up to tr(F)):`,
      },
      {
        kind: 'table',
        table: { ...gradientLayerTable(a, false), attributes: { 'data-layers-table': name } },
      },
      {
        kind: 'figure',
        id: name,
        file: name,
        svg: layerNoiseFigure(`Gradient noise per parameter group: ${p.label}`, a.layers),
        caption: `Per parameter group at ${p.label}: mean |g_B − g_train| of each B (solid) and |g_train| (dashed), in units of d, log scale.`,
      },
    );
  }
  return blocks;
}
