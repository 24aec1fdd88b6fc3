/**
 * Experiment B's points of a training run: analysis/<phase>-epoch-<n>.json, one point each,
 * written as the run goes and read back by the report. A point's type belongs to the layers
 * that compute and show it (AnalysisPoint, src/experiments/records.ts); the store files it by
 * the phase and epoch it was taken at, and names nothing else of it.
 */
import { readJsonRecords, writeJsonRecord } from './json-files';
import { analysisDir, analysisFile } from './run-paths';

/** Where an Experiment B point was taken: what the store files it by. */
export interface PointPlace {
  phase: string;
  epoch: number;
}

/** Writes a point to analysis/<phase>-epoch-<n>.json; returns the file. */
export function writeAnalysisPoint(runDir: string, point: PointPlace): string {
  const file = analysisFile(runDir, point.phase, point.epoch);
  writeJsonRecord(file, point);
  return file;
}

/** Every point of a training run, by file name. */
export function readAnalysisPoints<P extends PointPlace>(runDir: string): P[] {
  return readJsonRecords<P>(analysisDir(runDir));
}
