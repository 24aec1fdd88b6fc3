/**
 * Experiment A's lines of a study: lines/seed-<s>-<from>-<to>.json, one {@link StudyLine}
 * each.
 */
import type { LineResult } from '../analysis/loss-line';
import { readJsonRecords, writeJsonRecord } from './json-files';
import { lineFile, linesDir } from './study-paths';

/** One stored line: the result, with the seed it belongs to. */
export type StudyLine = LineResult & { seed: number };

/** Writes a seed's line between its arms `line.from` and `line.to`. */
export function writeStudyLine(studyDir: string, seed: number, line: LineResult): void {
  writeJsonRecord(lineFile(studyDir, seed, line.from, line.to), { seed, ...line });
}

/** Every line of a study, by file name. */
export function readStudyLines(studyDir: string): StudyLine[] {
  return readJsonRecords<StudyLine>(linesDir(studyDir));
}
