/**
 * Experiment B's points of a training run: analysis/<phase>-epoch-<n>.json, one
 * {@link AnalysisPoint} each, written as the run goes and read back by the report.
 */
import type { GradientAnalysis } from '../analysis/gradient-distribution';
import { readJsonRecords, writeJsonRecord } from './json-files';
import { analysisDir, analysisFile } from './run-paths';

/** One stored Experiment B point: the analysis, with the phase and epoch it was taken at. */
export type AnalysisPoint = GradientAnalysis & { phase: string; epoch: number };

/** Writes a point to analysis/<phase>-epoch-<n>.json; returns the file. */
export function writeAnalysisPoint(runDir: string, point: AnalysisPoint): string {
  const file = analysisFile(runDir, point.phase, point.epoch);
  writeJsonRecord(file, point);
  return file;
}

/** Every point of a training run, by file name. */
export function readAnalysisPoints(runDir: string): AnalysisPoint[] {
  return readJsonRecords<AnalysisPoint>(analysisDir(runDir));
}
