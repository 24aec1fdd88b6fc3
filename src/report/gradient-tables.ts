/**
 * Experiment B's tables in the thesis' layout (Tables 3.2 to 3.6): for each analysis
 * point, d, |g_train|/d, |g_total|/d, and per batch size the counts of the K
 * mini-batch gradients in each 0.5 d bin of the distance from g_train and from
 * g_total; then the summary statistics and Smith's check. Markdown and CSV.
 */
import type { GradientAnalysis } from '../analysis/gradient-distribution';

export interface AnalysisPoint {
  /** e.g. "process1 epoch 10" */
  label: string;
  phase: string;
  epoch: number;
  analysis: GradientAnalysis;
}

/** Undefined figures (null in JSON: Smith's estimate at B = M, say) print as "-". */
const f = (x: number | null, digits = 3): string =>
  x === null || !Number.isFinite(x)
    ? '-'
    : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0)
      ? x.toExponential(2)
      : x.toFixed(digits);

export function gradientTablesMarkdown(points: AnalysisPoint[]): string {
  const out: string[] = [];
  for (const p of points) {
    const a = p.analysis;
    out.push(
      `### ${p.label}`,
      '',
      `bn mode ${a.mode}${a.ghostBatch ? ` (ghost batches of ${a.ghostBatch})` : ''}; K = ${a.samples} (${a.draws ?? 'independent'} draws); ` +
        `d = ${f(a.d, 5)}; |g_train|/d = ${f(a.gTrainNorm)}; |g_test|/d = ${f(a.gTestNorm)}; ` +
        `|g_total|/d = ${f(a.gTotalNorm)}; cos(g_train, g_total) = ${f(a.cosTrainTotal, 4)}`,
      '',
    );
    const bins = a.batchSizes[0]!.histogramToTrain.bins;
    const header = ['distance (d)'];
    for (const b of a.batchSizes)
      header.push(`B=${b.batchSize} from g_train`, `B=${b.batchSize} from g_total`);
    out.push(`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`);
    bins.forEach((bin, i) => {
      const row = [bin];
      for (const b of a.batchSizes)
        row.push(String(b.histogramToTrain.counts[i]), String(b.histogramToTotal.counts[i]));
      out.push(`| ${row.join(' | ')} |`);
    });
    out.push(
      '',
      '| B | mean / median / min / max of abs(g_B - g_train)/d | of abs(g_B - g_total)/d | mean abs(g_B)/d | mean cos(g_B, g_total) | B E abs(g_B - g_train)^2 / (1 - B/M) |',
      '| ---: | --- | --- | ---: | ---: | ---: |',
    );
    for (const b of a.batchSizes) {
      const s = (x: { mean: number; median: number; min: number; max: number }) =>
        `${f(x.mean)} / ${f(x.median)} / ${f(x.min)} / ${f(x.max)}`;
      out.push(
        `| ${b.batchSize} | ${s(b.toTrain)} | ${s(b.toTotal)} | ${f(b.norm.mean)} | ${f(b.cosTotal.mean, 4)} | ${f(b.smithTrace, 4)} |`,
      );
    }
    out.push(
      '',
      `tr(F) estimate ${f(a.traceF, 4)} (Smith and Le: constant across B when the central-limit prediction holds); ` +
        `B_simple = tr(F)/|g_train|^2 = ${f(a.bSimple, 1)}`,
      '',
    );
    if (a.layers) {
      const header = [
        'parameter group',
        'size',
        'abs(g_train)/d',
        ...a.batchSizes.map((b) => `B=${b.batchSize} mean abs(g_B - g_train)/d`),
        'tr(F_g)',
        'B_simple',
      ];
      out.push(
        'Per parameter group (Smith and Le per group; the tr(F_g) add up to tr(F)):',
        '',
        `| ${header.join(' | ')} |`,
        `| ${header.map(() => '---').join(' | ')} |`,
        ...a.layers.map(
          (l) =>
            `| ${l.group} | ${l.size} | ${f(l.gTrainNorm)} | ${l.meanToTrain.map((x) => f(x.mean)).join(' | ')} | ${f(l.traceF, 4)} | ${f(l.bSimple, 1)} |`,
        ),
        '',
      );
    }
  }
  return out.join('\n');
}

const csvCell = (v: string | number | null): string =>
  v === null ? '' : typeof v === 'number' ? String(v) : `"${v.replace(/"/g, '""')}"`;

/** Long format: one row per (point, B, reference, bin). */
export function gradientHistogramCsv(points: AnalysisPoint[]): string {
  const rows = [['phase', 'epoch', 'mode', 'd', 'batch_size', 'reference', 'bin', 'count']];
  const lines = rows.map((r) => r.join(','));
  for (const p of points)
    for (const b of p.analysis.batchSizes)
      for (const [reference, h] of [
        ['g_train', b.histogramToTrain],
        ['g_total', b.histogramToTotal],
      ] as const)
        h.bins.forEach((bin, i) =>
          lines.push(
            [
              p.phase,
              p.epoch,
              p.analysis.mode,
              p.analysis.d,
              b.batchSize,
              reference,
              bin,
              h.counts[i]!,
            ]
              .map(csvCell)
              .join(','),
          ),
        );
  return lines.join('\n') + '\n';
}

/** One row per (point, B): the summaries and Smith's estimate. */
export function gradientSummaryCsv(points: AnalysisPoint[]): string {
  const lines = [
    'phase,epoch,mode,d,g_train_over_d,g_total_over_d,cos_train_total,batch_size,to_train_mean,to_train_median,to_train_min,to_train_max,to_total_mean,to_total_median,to_total_min,to_total_max,norm_mean,cos_total_mean,smith_trace,trace_f,b_simple',
  ];
  for (const p of points) {
    const a = p.analysis;
    for (const b of a.batchSizes)
      lines.push(
        [
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
        ]
          .map(csvCell)
          .join(','),
      );
  }
  return lines.join('\n') + '\n';
}
