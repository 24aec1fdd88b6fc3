/**
 * report.json: the study model (study-model.ts) as written beside report.html, the numbers
 * its tables print; per-epoch records left out (metrics.jsonl has them) and each analysis
 * point reduced to d, tr(F) and B_simple (analysis/ has the rest).
 */
import type { StudyModel } from './study-model';

/** What report.json holds; src/store/report-file.ts writes it. */
export function reportJson(m: StudyModel): unknown {
  return {
    ...m,
    epochs: undefined,
    analysis: m.analysis.map((a) => ({
      seed: a.seed,
      phase: a.phase,
      epoch: a.epoch,
      d: a.result.d,
      traceF: a.result.traceF,
      bSimple: a.result.bSimple,
    })),
  };
}
