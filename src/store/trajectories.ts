/**
 * The training trajectories of a study: trajectories/seed-<s>.json, process 1 and every arm
 * of a seed in one PCA plane (StudyTrajectoryRecord, src/experiments/records.ts), filed by
 * its seed.
 */
import { readJsonRecords, writeJsonRecord } from './json-files';
import { trajectoriesDir, trajectoryFile } from './study-paths';

/** Writes a seed's trajectory, with the seed. */
export function writeStudyTrajectory(studyDir: string, seed: number, trajectory: object): void {
  writeJsonRecord(trajectoryFile(studyDir, seed), { seed, ...trajectory });
}

/** Every trajectory of a study, by seed. */
export function readStudyTrajectories<T extends { seed: number }>(studyDir: string): T[] {
  return readJsonRecords<T>(trajectoriesDir(studyDir)).sort((a, b) => a.seed - b.seed);
}
