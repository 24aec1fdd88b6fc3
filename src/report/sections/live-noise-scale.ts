/**
 * The gradient noise scale during training (docs/mathematics.md): per seed, B_simple (the ratio
 * of the moving averages of the live estimates of tr(Sigma) and |G|^2) along process 1 and every
 * arm against epochs of training, the arms from the branch point, a guide where they branch.
 */
import { lineChart, type LineSeries } from '../line-chart';
import { formatNumber } from '../format-number';
import type { Block, Section } from '../section';
import type { StudyModel } from '../study-model';
import { PALETTE } from '../svg';
import type { Table } from '../table';

/** The seed's figure; undefined when it has no measurement (the live noise scale off). */
export function liveNoiseScaleFigure(m: StudyModel, seed: number): string | undefined {
  const own = m.noiseScale.filter((r) => r.seed === seed);
  if (own.length === 0) return undefined;
  const series: LineSeries[] = m.phases
    .map((phase, i) => ({
      name: phase,
      axis: 'left' as const,
      points: own
        .filter((r) => r.phase === phase)
        .map((r): [number, number] => [r.atEpoch, r.simpleNoiseScale]),
      color: PALETTE[i % PALETTE.length]!,
    }))
    .filter((s) => s.points.length > 0);
  const branched = m.statuses.find(
    (s) => s.seed === seed && s.phase === 'process1' && s.status === 'branched',
  );
  const markers =
    branched?.branchEpoch !== undefined
      ? [{ x: branched.branchEpoch, label: `arms branch (epoch ${branched.branchEpoch})` }]
      : [];
  return lineChart({
    title: `Gradient noise scale B_simple along training (seed ${seed})`,
    xLabel: 'epochs of training',
    leftLabel: 'B_simple = EMA tr(Σ) / EMA |G|² (log scale)',
    logLeft: true,
    series,
    markers,
  });
}

/** How a measurement was taken: per example (chunks of 1) or in chunks. */
function howMeasured(r: { chunks: number; chunkSize: number; batchSize: number }): string {
  if (r.chunkSize !== 1)
    return `on the step's batch in ${r.chunks} chunks in population mode (McCandlish et al.'s two-batch-size estimator with the finite-population term)`;
  const examples = r.chunks < r.batchSize ? `the first ${r.chunks} examples of ` : '';
  return `per example on ${examples}the step's batch in population mode (the per-example gradients' sample variance and their mean's norm, with the finite-population term)`;
}

export function liveNoiseScaleSection(m: StudyModel): Section | undefined {
  if (m.noiseScale.length === 0) return undefined;
  const first = m.noiseScale[0]!;
  const blocks: Block[] = [
    {
      kind: 'paragraph',
      text: `Measured live every ${measuredEvery(m)} optimizer steps, before the step, ${howMeasured(first)}; moving averages of ${first.emaSteps} steps${averageKind(m)}. B_simple at or below 0 (a negative estimate of |G|² early on) is left out of the log scale. The table: the latest measurement of each phase (the live page shows it as the run goes).`,
    },
  ];
  blocks.push({ kind: 'table', table: latestTable(m) });
  for (const seed of m.seeds) {
    const svg = liveNoiseScaleFigure(m, seed);
    if (svg)
      blocks.push({
        kind: 'figure',
        id: `live-noise-scale-${seed}`,
        file: `live-noise-scale-seed-${seed}`,
        svg,
        caption:
          "B_simple along process 1 and each arm (the arms continue process 1's moving averages from the branch); Experiment B's own B_simple at its analysis points is under 'Beyond the thesis'.",
      });
  }
  return {
    kind: 'section',
    id: 'live-noise-scale',
    title: 'The gradient noise scale during training',
    blocks,
  };
}

/** Per seed and phase, the latest measurement: what `serve` shows of a run as it goes. */
export function latestTable(m: StudyModel): Table {
  const rows: string[][] = [];
  for (const seed of m.seeds)
    for (const phase of m.phases) {
      const last = m.noiseScale.filter((r) => r.seed === seed && r.phase === phase).pop();
      if (last)
        rows.push([
          String(seed),
          phase,
          formatNumber(last.atEpoch, 3),
          String(last.step),
          String(last.batchSize),
          formatNumber(last.simpleNoiseScale, 1),
          formatNumber(last.normTest, 3),
        ]);
    }
  return {
    head: ['seed', 'phase', 'epochs done', 'step', 'B', 'B_simple (EMA)', 'norm test'],
    rows,
    attributes: { id: 'live-noise-scale-latest' },
  };
}

/** Which average the records hold, in words: nothing for records of an older gradscope alone
 * (the ratio of the plain averages, as their published pages say). */
function averageKind(m: StudyModel): string {
  const scaleFree = m.noiseScale.filter((r) => r.average === 'scale-free').length;
  if (scaleFree === 0) return '';
  const kind =
    ", scale-free (each measurement's estimates of tr(Σ) and |G|² divided by its own |G_small|², so that a measurement weighs by its age alone)";
  return scaleFree === m.noiseScale.length
    ? kind
    : `${kind}; ${m.noiseScale.length - scaleFree} records of an older gradscope hold the ratio of the plain averages`;
}

/** The interval N, from the steps of consecutive measurements of one phase. */
function measuredEvery(m: StudyModel): string {
  const [a, b] = m.noiseScale;
  return a && b && a.seed === b.seed && a.phase === b.phase ? String(b.step - a.step) : 'N';
}
