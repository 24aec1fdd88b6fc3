/**
 * Experiment B's Tables 3.2 to 3.6 in the thesis' layout: one table per batch size
 * along process 1 (the thesis: B = 256 and B = 5000 at epochs 10, 20, ..., 60:
 * Tables 3.2 and 3.3), then one per piggybacked arm along process 2 at that arm's
 * own B2 (B2 = 1000, 2000, 5000: Tables 3.4 to 3.6). Rows are the 0.5 d bins,
 * columns the analysis epochs; each cell counts the K draws whose distance from
 * g_train / from g_total falls in the bin. Numbered from 3.2 in that order, so a
 * config with other batch sizes or arms gets as many tables as it has.
 */
import type { GradientAnalysis } from '../analysis/gradient-distribution';
import { tableMarkdown, type Table } from './table';

/** One of the thesis' tables: the table, its number, its seed and its title. */
export interface ThesisTable extends Table {
  /** "3.2", "3.3", ... */
  number: string;
  seed: number;
  title: string;
  head: string[];
  rows: string[][];
}

export interface SeedAnalysis {
  seed: number;
  phase: string;
  epoch: number;
  result: GradientAnalysis;
}

function table(
  along: SeedAnalysis[],
  batchSize: number,
  seed: number,
  title: string,
): Omit<ThesisTable, 'number'> | undefined {
  const columns = along
    .map((a) => ({ epoch: a.epoch, b: a.result.batchSizes.find((x) => x.batchSize === batchSize) }))
    .filter((c) => c.b !== undefined);
  if (columns.length === 0) return undefined;
  const bins = columns[0]!.b!.histogramToTrain.bins;
  return {
    seed,
    title,
    head: [
      'distance (d)',
      ...columns.flatMap((c) => [`epoch ${c.epoch} from g_train`, `epoch ${c.epoch} from g_total`]),
    ],
    rows: bins.map((bin, i) => [
      bin,
      ...columns.flatMap((c) => [
        String(c.b!.histogramToTrain.counts[i] ?? 0),
        String(c.b!.histogramToTotal.counts[i] ?? 0),
      ]),
    ]),
  };
}

export function thesisTables(
  analysis: SeedAnalysis[],
  seeds: number[],
  process1BatchSizes: number[],
  arms: number[],
): ThesisTable[] {
  const out: ThesisTable[] = [];
  for (const seed of seeds) {
    let number = 2;
    const own = (phase: string) =>
      analysis
        .filter((a) => a.seed === seed && a.phase === phase)
        .sort((a, b) => a.epoch - b.epoch);
    const add = (t: Omit<ThesisTable, 'number'> | undefined) => {
      if (t) out.push({ number: `3.${number}`, ...t });
      number += 1;
    };
    for (const b of process1BatchSizes)
      add(
        table(
          own('process1'),
          b,
          seed,
          `process 1, B = ${b}: |g_B − g_train|/d and |g_B − g_total|/d by epoch (seed ${seed})`,
        ),
      );
    for (const b2 of arms.slice(1))
      add(
        table(
          own(`arm-${b2}`),
          b2,
          seed,
          `piggybacked arm B2 = ${b2}, B = ${b2}: distances by epoch of process 2 (seed ${seed})`,
        ),
      );
  }
  return out;
}

/** tables/thesis-tables.md: each table under its number and title. */
export function thesisTablesMarkdown(tables: ThesisTable[]): string {
  const out: string[] = [];
  for (const t of tables) out.push(`### Table ${t.number}: ${t.title}`, '', tableMarkdown(t), '');
  return out.join('\n');
}
