/**
 * The live noise scale beside Experiment B's (docs/mathematics.md, "The gradient noise scale
 * during training", "Its uncertainty"): at every Experiment B point, Experiment B's B_simple
 * with its standard error over the K draws, and the live moving average's B_simple from the
 * `noise-scale` record nearest the checkpoint's optimizer step, with its standard error from
 * the single measurements in the average. A table and, per seed, a figure of both with their
 * 95% intervals (+- 1.96 standard errors).
 */
import { drawNoiseInterval } from '../../analysis/draw-noise-interval';
import type { NoiseScaleRecord } from '../../store/metrics';
import { liveNoiseInterval, type LiveNoiseInterval } from '../../train/live-noise-uncertainty';
import { DEFAULT_NOISE_SCALE_EVERY } from '../../train/noise-scale';
import { formatNumber } from '../format-number';
import { intervalChart, type IntervalPoint, type IntervalSeries } from '../interval-chart';
import type { Block, Section } from '../section';
import type { StudyModel } from '../study-model';
import { paletteColor } from '../svg';
import { tableCsv, tableMarkdown, type Table } from '../table';

/** One Experiment B point with both estimates. */
export interface NoiseScaleComparison {
  seed: number;
  phase: string;
  epoch: number;
  /** Optimizer steps of the checkpoint analysed. */
  step: number;
  experimentB: { simpleNoiseScale: number; standardError: number | undefined; draws: number };
  /** The live estimate nearest the checkpoint; undefined when nothing was measured. */
  live: (LiveNoiseInterval & { step: number; phase: string }) | undefined;
}

/** The measurements whose averages a phase's records carry: process 1's up to the branch
 * epoch (an arm continues its averages), then the phase's own, in step order. */
function chainOf(m: StudyModel, seed: number, phase: string): NoiseScaleRecord[] {
  const own = m.noiseScale.filter((r) => r.seed === seed);
  if (phase === 'process1') return own.filter((r) => r.phase === 'process1');
  const branch = m.statuses.find(
    (s) => s.seed === seed && s.phase === 'process1' && s.status === 'branched',
  )?.branchEpoch;
  return [
    ...own.filter((r) => r.phase === 'process1' && branch !== undefined && r.epoch <= branch),
    ...own.filter((r) => r.phase === phase),
  ].sort((a, b) => a.step - b.step);
}

/** Every Experiment B point with Experiment B's and the live B_simple, each with its error. */
export function noiseScaleComparisons(m: StudyModel): NoiseScaleComparison[] {
  const every = m.config.noiseScaleEvery ?? DEFAULT_NOISE_SCALE_EVERY;
  return m.analysis.map((a) => {
    const step =
      m.epochs.find((e) => e.seed === a.seed && e.phase === a.phase && e.epoch === a.epoch)?.step ??
      0;
    const chain = chainOf(m, a.seed, a.phase);
    // the nearest measurement; of two as near, the later (one at the checkpoint's own step is
    // taken at its weights, before the next step)
    let nearest = -1;
    chain.forEach((r, j) => {
      if (nearest < 0 || Math.abs(r.step - step) <= Math.abs(chain[nearest]!.step - step))
        nearest = j;
    });
    const found = chain[nearest];
    return {
      seed: a.seed,
      phase: a.phase,
      epoch: a.epoch,
      step,
      experimentB: drawNoiseInterval(a.result),
      live: found
        ? {
            ...liveNoiseInterval(chain.slice(0, nearest + 1), every, found.emaSteps),
            step: found.step,
            phase: found.phase,
          }
        : undefined,
    };
  });
}

const Z95 = 1.959963984540054;

function withError(value: number, error: number | undefined): string {
  return error === undefined
    ? `${formatNumber(value, 1)} (no interval)`
    : `${formatNumber(value, 1)} ± ${formatNumber(error, 1)}`;
}

export function comparisonTable(rows: NoiseScaleComparison[]): Table {
  return {
    head: [
      'seed',
      'phase',
      'epoch',
      'step',
      'Experiment B: B_simple ± s.e. (K draws)',
      'live EMA: B_simple ± s.e.',
      'live measured at step',
      'measurements in the EMA (effective)',
      'live / Experiment B',
    ],
    rows: rows.map((r) => [
      String(r.seed),
      r.phase,
      String(r.epoch),
      String(r.step),
      `${withError(r.experimentB.simpleNoiseScale, r.experimentB.standardError)} (K = ${r.experimentB.draws})`,
      r.live ? withError(r.live.simpleNoiseScale, r.live.standardError) : 'not measured',
      r.live
        ? `${r.live.step}${r.live.phase !== r.phase ? ` (${r.live.phase})` : ''} (${r.live.step - r.step >= 0 ? '+' : ''}${r.live.step - r.step})`
        : '-',
      r.live ? formatNumber(r.live.effectiveCount, 3) : '-',
      r.live ? formatNumber(r.live.simpleNoiseScale / r.experimentB.simpleNoiseScale, 3) : '-',
    ]),
    attributes: { id: 'noise-scale-comparison' },
  };
}

function interval(value: number, error: number | undefined): IntervalPoint {
  return error === undefined
    ? { x: 0, y: value }
    : { x: 0, y: value, low: value - Z95 * error, high: value + Z95 * error };
}

/** The seed's figure: both estimates at each point, by epoch of training, phase by colour. */
export function comparisonFigure(rows: NoiseScaleComparison[], seed: number): string | undefined {
  const own = rows.filter((r) => r.seed === seed);
  if (own.length === 0) return undefined;
  const phases = [...new Set(own.map((r) => r.phase))];
  const series: IntervalSeries[] = phases.flatMap((phase, i) => {
    const at = own.filter((r) => r.phase === phase);
    const color = paletteColor(i);
    return [
      {
        name: `${phase}: Experiment B`,
        color,
        shape: 'circle',
        points: at.map((r) => ({
          ...interval(r.experimentB.simpleNoiseScale, r.experimentB.standardError),
          x: r.epoch - 0.06,
        })),
      },
      {
        name: `${phase}: live EMA`,
        color,
        shape: 'diamond',
        points: at.flatMap((r) =>
          r.live
            ? [{ ...interval(r.live.simpleNoiseScale, r.live.standardError), x: r.epoch + 0.06 }]
            : [],
        ),
      },
    ];
  });
  return intervalChart({
    title: `B_simple at Experiment B's points: its own (circles) and the live average (diamonds), seed ${seed}`,
    xLabel: 'epoch of the analysed checkpoint',
    yLabel: 'B_simple, 95% interval (log scale)',
    logY: true,
    series,
  });
}

export function noiseScaleComparisonSection(m: StudyModel): Section | undefined {
  if (m.analysis.length === 0 || m.noiseScale.length === 0) return undefined;
  const rows = noiseScaleComparisons(m);
  const table = comparisonTable(rows);
  const blocks: Block[] = [
    {
      kind: 'paragraph',
      text: "At each Experiment B point: Experiment B's B_simple = tr(F)/|g_train|² with its standard error over the K draws (g_train is exact), and the live moving average's B_simple from the measurement nearest the checkpoint's optimizer step (a measurement at that step is taken at the checkpoint's weights), with its standard error from the spread of the single measurements in the average (the delta method for a ratio of weighted sums; docs/mathematics.md). Both are in population mode. The live average lags the weights by about its length; a ratio near 1 within the errors says the two agree.",
    },
    { kind: 'table', table },
  ];
  for (const seed of m.seeds) {
    const svg = comparisonFigure(rows, seed);
    if (svg)
      blocks.push({
        kind: 'figure',
        id: `noise-scale-comparison-${seed}`,
        file: `noise-scale-comparison-seed-${seed}`,
        svg,
        caption:
          "Experiment B's B_simple (circles) and the live moving average's (diamonds) at each analysed checkpoint, with 95% intervals (± 1.96 standard errors); colour: the phase.",
      });
  }
  return {
    kind: 'section',
    id: 'noise-scale-comparison',
    title: "The live noise scale beside Experiment B's",
    blocks,
    files: [
      { name: 'noise-scale-comparison.md', content: tableMarkdown(table) },
      { name: 'noise-scale-comparison.csv', content: tableCsv(table) },
    ],
  };
}
