/** Beyond the thesis: Smith and Le's estimate of tr(F) per B at every analysis point, and
 * the simple noise scale B_simple along each phase. */
import { formatNumber } from '../format-number';
import { lineChart, type LineSeries } from '../line-chart';
import type { AnalysisPoint } from '../gradient-tables';
import type { Block, Section } from '../section';
import type { StudyModel } from '../study-model';
import { PALETTE } from '../svg';
import type { Table } from '../table';

function noiseScaleFigure(m: StudyModel, seed: number): string | undefined {
  const series: LineSeries[] = m.phases
    .map((phase, i) => ({
      name: phase,
      axis: 'left' as const,
      points: m.analysis
        .filter((a) => a.seed === seed && a.phase === phase)
        .map((a): [number, number] => [a.epoch, a.result.bSimple]),
      color: PALETTE[i % PALETTE.length]!,
    }))
    .filter((s) => s.points.length > 0);
  if (series.length === 0) return undefined;
  return lineChart({
    title: `Simple gradient noise scale B_simple = tr(F) / |g_train|² (seed ${seed})`,
    xLabel: 'epoch',
    leftLabel: 'B_simple (log scale)',
    logLeft: true,
    series,
  });
}

/** Per point: B E|g_B − g_train|² / (1 − B/M) for each B, tr(F) and B_simple. */
function smithTable(points: AnalysisPoint[]): Table {
  const sizes = [
    ...new Set(points.flatMap((p) => p.analysis.batchSizes.map((b) => b.batchSize))),
  ].sort((a, b) => a - b);
  return {
    head: ['point', ...sizes.map((b) => `B=${b}`), 'tr(F)', 'B_simple'],
    rows: points.map((p) => [
      p.label,
      ...sizes.map((b) => {
        const r = p.analysis.batchSizes.find((x) => x.batchSize === b);
        return r ? formatNumber(r.smithTrace) : '-';
      }),
      formatNumber(p.analysis.traceF),
      formatNumber(p.analysis.bSimple, 1),
    ]),
    attributes: { id: 'smith-table' },
  };
}

export function beyondSection(m: StudyModel, points: AnalysisPoint[]): Section {
  const blocks: Block[] = [
    {
      kind: 'paragraph',
      text: 'B E|g_B − g_train|² / (1 − B/M) estimates tr(F) and is constant across B when the central-limit prediction holds; B_simple = tr(F)/|g_train|² (McCandlish et al.).',
    },
  ];
  if (points.length) {
    blocks.push({ kind: 'table', table: smithTable(points) });
    for (const seed of m.seeds) {
      const svg = noiseScaleFigure(m, seed);
      if (svg)
        blocks.push({
          kind: 'figure',
          id: `noise-scale-${seed}`,
          file: `noise-scale-seed-${seed}`,
          svg,
          caption: 'B_simple at each analysis point.',
        });
    }
  }
  return {
    kind: 'section',
    id: 'beyond',
    title: "Beyond the thesis: Smith and Le's check and the noise scale",
    blocks,
  };
}
