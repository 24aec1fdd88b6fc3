/**
 * report.json: the study model (study-model.ts) as written beside report.html, the numbers
 * its tables print; per-epoch records left out (metrics.jsonl has them) and each analysis
 * point reduced to d, tr(F), B_simple and, per B, the mean distances |g_B - g_train|/d and
 * |g_B - g_total|/d (Tables 3.2 to 3.6 summarised; analysis/ has every draw).
 */
import type { StudyModel } from './study-model';

/** One Experiment B point as report.json keeps it. */
export interface ReportPoint {
  seed: number;
  phase: string;
  epoch: number;
  d: number;
  traceF: number;
  bSimple: number;
  /** Per B, the mean distances in units of d (absent from a report.json written before
   * they were kept). */
  batchSizes?: { batchSize: number; toTrain: number; toTotal: number }[];
}

/** What report.json holds: the study model without its per-epoch records, each analysis
 * point reduced (ReportPoint). */
export type ReportJson = Omit<StudyModel, 'epochs' | 'analysis'> & { analysis: ReportPoint[] };

/** What report.json holds; src/store/report-file.ts writes it. */
export function reportJson(m: StudyModel): ReportJson {
  const { epochs: _epochs, ...rest } = m;
  return {
    ...rest,
    analysis: m.analysis.map((a) => ({
      seed: a.seed,
      phase: a.phase,
      epoch: a.epoch,
      d: a.result.d,
      traceF: a.result.traceF,
      bSimple: a.result.bSimple,
      batchSizes: a.result.batchSizes.map((b) => ({
        batchSize: b.batchSize,
        toTrain: b.toTrain.mean,
        toTotal: b.toTotal.mean,
      })),
    })),
  };
}
