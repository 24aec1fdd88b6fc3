/**
 * Experiment B's tables for analysis points, as table models (table.ts): per point the counts
 * of the K mini-batch gradients in each 0.5 d bin of the distance from g_train and from
 * g_total, the summary statistics and Smith's check, and the per-group view; rendered here
 * as Markdown (gradients.md) and CSV in long format, and by the report as HTML.
 */
import type { GradientAnalysis } from '../analysis/gradient-distribution';
import { formatNumber as f } from './format-number';
import { tableCsv, tableMarkdown, type Table } from './table';

export interface AnalysisPoint {
  /** e.g. "process1 epoch 10" */
  label: string;
  phase: string;
  epoch: number;
  analysis: GradientAnalysis;
}

/** The histograms of one point: a row per bin, per B a column of counts from g_train and
 * one from g_total. */
export function gradientHistogramTable(a: GradientAnalysis): Table {
  return {
    head: [
      'distance (d)',
      ...a.batchSizes.flatMap((b) => [
        `B=${b.batchSize} from g_train`,
        `B=${b.batchSize} from g_total`,
      ]),
    ],
    rows: a.batchSizes[0]!.histogramToTrain.bins.map((bin, i) => [
      bin,
      ...a.batchSizes.flatMap((b) => [
        String(b.histogramToTrain.counts[i]),
        String(b.histogramToTotal.counts[i]),
      ]),
    ]),
  };
}

/**
 * Per parameter group g: |g_train,g|/d, per B the mean |g_B,g − g_train,g|/d, tr(F_g) and
 * B_simple. `words`: the headers without "|" (abs(...)), as gradients.md has always had them.
 */
export function gradientLayerTable(a: GradientAnalysis, words: boolean): Table {
  return {
    head: [
      'parameter group',
      'size',
      words ? 'abs(g_train)/d' : '|g_train,g|/d',
      ...a.batchSizes.map((b) =>
        words
          ? `B=${b.batchSize} mean abs(g_B - g_train)/d`
          : `B=${b.batchSize} mean |g_B,g − g_train,g|/d`,
      ),
      'tr(F_g)',
      'B_simple',
    ],
    rows: (a.layers ?? []).map((l) => [
      l.group,
      String(l.size),
      f(l.gTrainNorm, 3),
      ...l.meanToTrain.map((x) => f(x.mean, 3)),
      f(l.traceF, 4),
      f(l.bSimple, 1),
    ]),
  };
}

/** Per B: mean / median / min / max of both distances, mean |g_B|/d, mean cos(g_B, g_total)
 * and Smith's estimate; tr(F) and B_simple in the notes. */
function summaryTable(a: GradientAnalysis): Table {
  const s = (x: { mean: number; median: number; min: number; max: number }) =>
    `${f(x.mean, 3)} / ${f(x.median, 3)} / ${f(x.min, 3)} / ${f(x.max, 3)}`;
  return {
    head: [
      'B',
      'mean / median / min / max of abs(g_B - g_train)/d',
      'of abs(g_B - g_total)/d',
      'mean abs(g_B)/d',
      'mean cos(g_B, g_total)',
      'B E abs(g_B - g_train)^2 / (1 - B/M)',
    ],
    align: ['right', 'default', 'default', 'right', 'right', 'right'],
    rows: a.batchSizes.map((b) => [
      String(b.batchSize),
      s(b.toTrain),
      s(b.toTotal),
      f(b.norm.mean, 3),
      f(b.cosTotal.mean, 4),
      f(b.smithTrace, 4),
    ]),
    notes: [
      `tr(F) estimate ${f(a.traceF, 4)} (Smith and Le: constant across B when the central-limit prediction holds); ` +
        `B_simple = tr(F)/|g_train|^2 = ${f(a.bSimple, 1)}`,
    ],
  };
}

/** gradients.md: per point its settings, its histograms, its summary and its groups. */
export function gradientTablesMarkdown(points: AnalysisPoint[]): string {
  const out: string[] = [];
  for (const p of points) {
    const a = p.analysis;
    out.push(
      `### ${p.label}`,
      '',
      `bn mode ${a.mode}${a.ghostBatch ? ` (ghost batches of ${a.ghostBatch})` : ''}; K = ${a.samples} (${a.draws ?? 'independent'} draws); ` +
        `d = ${f(a.d, 5)}; |g_train|/d = ${f(a.gTrainNorm, 3)}; |g_test|/d = ${f(a.gTestNorm, 3)}; ` +
        `|g_total|/d = ${f(a.gTotalNorm, 3)}; cos(g_train, g_total) = ${f(a.cosTrainTotal, 4)}`,
      '',
      tableMarkdown(gradientHistogramTable(a)),
      '',
      tableMarkdown(summaryTable(a)),
      '',
    );
    if (a.layers)
      out.push(
        'Per parameter group (Smith and Le per group; the tr(F_g) add up to tr(F)):',
        '',
        tableMarkdown(gradientLayerTable(a, true)),
        '',
      );
  }
  return out.join('\n');
}

/** Long format: one row per (point, B, reference, bin). */
export function gradientHistogramCsv(points: AnalysisPoint[]): string {
  return tableCsv({
    head: ['phase', 'epoch', 'mode', 'd', 'batch_size', 'reference', 'bin', 'count'],
    rows: points.flatMap((p) =>
      p.analysis.batchSizes.flatMap((b) =>
        (
          [
            ['g_train', b.histogramToTrain],
            ['g_total', b.histogramToTotal],
          ] as const
        ).flatMap(([reference, h]) =>
          h.bins.map((bin, i) => [
            p.phase,
            p.epoch,
            p.analysis.mode,
            p.analysis.d,
            b.batchSize,
            reference,
            bin,
            h.counts[i]!,
          ]),
        ),
      ),
    ),
  });
}

/** One row per (point, B): the summaries and Smith's estimate. */
export function gradientSummaryCsv(points: AnalysisPoint[]): string {
  return tableCsv({
    head: [
      'phase',
      'epoch',
      'mode',
      'd',
      'g_train_over_d',
      'g_total_over_d',
      'cos_train_total',
      'batch_size',
      'to_train_mean',
      'to_train_median',
      'to_train_min',
      'to_train_max',
      'to_total_mean',
      'to_total_median',
      'to_total_min',
      'to_total_max',
      'norm_mean',
      'cos_total_mean',
      'smith_trace',
      'trace_f',
      'b_simple',
    ],
    rows: points.flatMap((p) => {
      const a = p.analysis;
      return a.batchSizes.map((b) => [
        p.phase,
        p.epoch,
        a.mode,
        a.d,
        a.gTrainNorm,
        a.gTotalNorm,
        a.cosTrainTotal,
        b.batchSize,
        b.toTrain.mean,
        b.toTrain.median,
        b.toTrain.min,
        b.toTrain.max,
        b.toTotal.mean,
        b.toTotal.median,
        b.toTotal.min,
        b.toTotal.max,
        b.norm.mean,
        b.cosTotal.mean,
        b.smithTrace,
        a.traceF,
        a.bSimple,
      ]);
    }),
  });
}
