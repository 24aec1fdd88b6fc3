/**
 * The records a study keeps in its run directory, each an analysis's result with where it
 * belongs (seed, phase, epoch). src/store/ writes and reads them, naming only the fields it
 * files them by; their types are here, above the analyses that compute them.
 */
import type { GradientAnalysis } from '../analysis/gradient-distribution';
import type { LineResult } from '../analysis/loss-line';
import type { SharpnessResult } from '../analysis/sharpness';
import type { TrajectoryResult } from '../analysis/trajectory';
import { readSharpnessRecords } from '../store/sharpness';

/** One stored Experiment B point: the analysis, with the phase and epoch it was taken at. */
export type AnalysisPoint = GradientAnalysis & { phase: string; epoch: number };

/** One stored line: the result, with the seed it belongs to. */
export type StudyLine = LineResult & { seed: number };

/**
 * One stored sharpness measurement: the result, with the seed and phase it belongs to.
 *
 * @example
 * ```ts
 * import { readStudySharpness, type StudySharpness } from 'gradscope';
 * const largest: StudySharpness | undefined = readStudySharpness('runs/thesis-f1').find(
 *   (s) => s.phase === 'arm-5000',
 * );
 * console.log(largest?.seed, largest?.hessian.eigenvalues[0]?.value);
 * ```
 */
export type StudySharpness = SharpnessResult & { seed: number; phase: string };

/** One stored trajectory: the result, with the seed it belongs to. */
export type StudyTrajectoryRecord = TrajectoryResult & { seed: number };

/**
 * Every sharpness record of a study run directory, checked (src/store/sharpness.ts).
 *
 * @example
 * ```ts
 * import { readStudySharpness } from 'gradscope';
 * for (const s of readStudySharpness('runs/thesis-f1'))
 *   console.log(s.seed, s.phase, s.hessian.eigenvalues[0]?.value);
 * ```
 */
export function readStudySharpness(runDir: string): StudySharpness[] {
  return readSharpnessRecords<StudySharpness>(runDir);
}
