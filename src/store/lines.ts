/**
 * Experiment A's lines of a study: lines/seed-<s>-<from>-<to>.json, one line each (StudyLine,
 * src/experiments/records.ts), filed by its seed and the two arms it runs between.
 */
import { readJsonRecords, writeJsonRecord } from './json-files';
import { lineFile, linesDir } from './study-paths';

/** Writes a seed's line between its arms `line.from` and `line.to`, with the seed. */
export function writeStudyLine(
  studyDir: string,
  seed: number,
  line: { from: string; to: string },
): void {
  writeJsonRecord(lineFile(studyDir, seed, line.from, line.to), { seed, ...line });
}

/** Every line of a study, by file name. */
export function readStudyLines<L extends { seed: number }>(studyDir: string): L[] {
  return readJsonRecords<L>(linesDir(studyDir));
}
