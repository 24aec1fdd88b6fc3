/**
 * The training trajectories of a study: trajectories/seed-<s>.json, process 1 and every arm
 * of a seed in one PCA plane.
 */
import type { TrajectoryResult } from '../analysis/trajectory';
import { readJsonRecords, writeJsonRecord } from './json-files';
import { trajectoriesDir, trajectoryFile } from './study-paths';

/** One stored trajectory: the result, with the seed it belongs to. */
export type StudyTrajectoryRecord = TrajectoryResult & { seed: number };

/** Writes a seed's trajectory. */
export function writeStudyTrajectory(
  studyDir: string,
  seed: number,
  trajectory: TrajectoryResult,
): void {
  writeJsonRecord(trajectoryFile(studyDir, seed), { seed, ...trajectory });
}

/** Every trajectory of a study, by seed. */
export function readStudyTrajectories(studyDir: string): StudyTrajectoryRecord[] {
  return readJsonRecords<StudyTrajectoryRecord>(trajectoriesDir(studyDir)).sort(
    (a, b) => a.seed - b.seed,
  );
}
