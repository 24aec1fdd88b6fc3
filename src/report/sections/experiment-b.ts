/**
 * Experiment B: how the K mini-batch gradients were drawn, the distances' figures per seed
 * and phase, the tables in the thesis' layout, and every analysis point; its tables also as
 * tables/gradients.md, gradients-*.csv and thesis-tables.md.
 */
import { gradientPhaseFigure, gradientPointFigure } from '../gradient-figures';
import {
  gradientHistogramCsv,
  gradientSummaryCsv,
  gradientTablesMarkdown,
  type AnalysisPoint,
} from '../gradient-tables';
import type { Block, Section } from '../section';
import type { StudyModel } from '../study-model';
import { pendingHtml, type StudyPending } from '../study-progress';
import { thesisTables, thesisTablesMarkdown } from '../thesis-tables';
import { analysisPointBlocks } from './analysis-points';

/** The study's analysis points, labelled with their seed, phase and epoch. */
export function studyAnalysisPoints(m: StudyModel): AnalysisPoint[] {
  return m.analysis.map((a) => ({
    label: `seed ${a.seed}, ${a.phase}, epoch ${a.epoch}`,
    phase: a.phase,
    epoch: a.epoch,
    analysis: a.result,
  }));
}

function drawsSentence(points: AnalysisPoint[]): string {
  const schemes = [...new Set(points.map((p) => p.analysis.draws ?? 'independent'))];
  return `Draws: ${schemes.join(', ')}${schemes.includes('nested') ? ' (per draw one batch of the largest B; each smaller B takes its first B examples: every B uniform without replacement, batches of different B dependent)' : ' (every B its own uniform batches without replacement, independent)'}.`;
}

/** Per seed and phase: the distances at every analysis point, and both at the last one. */
function phaseFigures(m: StudyModel, points: AnalysisPoint[]): Block[] {
  const blocks: Block[] = [];
  for (const seed of m.seeds)
    for (const phase of m.phases) {
      const along = points.filter((p, i) => m.analysis[i]!.seed === seed && p.phase === phase);
      if (along.length === 0) continue;
      const name = `gradients-seed-${seed}-${phase}`;
      const last = along[along.length - 1]!;
      blocks.push(
        {
          kind: 'figure',
          id: name,
          file: name,
          svg: gradientPhaseFigure(`${phase} (seed ${seed})`, along),
          caption: `|g_B − g_total|/d over the K draws per B, at each analysis point of ${phase}.`,
        },
        {
          kind: 'figure',
          id: `${name}-last`,
          file: `${name}-epoch-${last.epoch}`,
          svg: gradientPointFigure(last),
          caption: `Both distances at ${last.label}.`,
        },
      );
    }
  return blocks;
}

export function experimentBSection(m: StudyModel, pending: StudyPending): Section {
  const section: Section = {
    kind: 'section',
    id: 'experiment-b',
    title: 'Experiment B: mini-batch gradients around g_train and g_total',
    blocks: [{ kind: 'html', html: pendingHtml(pending, 'analysis') }],
  };
  const points = studyAnalysisPoints(m);
  if (points.length === 0) {
    section.blocks.push({ kind: 'paragraph', text: 'No analysis points yet.' });
    return section;
  }
  const thesis = thesisTables(
    m.analysis,
    m.seeds,
    m.config.analysis.batchSizes,
    m.config.process2.arms,
  );
  section.blocks.push(
    { kind: 'paragraph', text: drawsSentence(points) },
    ...phaseFigures(m, points),
    { kind: 'heading', level: 3, text: 'Tables in the thesis layout (Tables 3.2 to 3.6)' },
  );
  if (thesis.length === 0)
    section.blocks.push({ kind: 'paragraph', text: 'No analysis point of these tables yet.' });
  for (const t of thesis)
    section.blocks.push(
      { kind: 'heading', level: 4, text: `Table ${t.number}: ${t.title}` },
      {
        kind: 'table',
        table: { ...t, attributes: { 'data-thesis-table': t.number, 'data-seed': t.seed } },
      },
    );
  section.blocks.push({ kind: 'heading', level: 3, text: 'Every analysis point' });
  points.forEach((p, i) => section.blocks.push(...analysisPointBlocks(p, m.analysis[i]!.seed)));
  section.files = [
    { name: 'gradients.md', content: gradientTablesMarkdown(points) },
    { name: 'gradients-histograms.csv', content: gradientHistogramCsv(points) },
    { name: 'gradients-summary.csv', content: gradientSummaryCsv(points) },
    { name: 'thesis-tables.md', content: thesisTablesMarkdown(thesis) },
  ];
  return section;
}
