/**
 * The files of `gradscope analyze critical-batch` in a run directory, their one owner:
 *
 *   critical-batch.json                              the result: per checkpoint of process 1,
 *                                                    its branches and the critical batch size
 *   critical-batch/epoch-NNNN-batch-NNNNN.json       one finished branch (what a resume keeps)
 *   critical-batch/epoch-NNNN-batch-NNNNN.metrics.jsonl   the branch's epochs as it trains
 *   critical-batch/critical-batch.svg, .png          the figure
 *   critical-batch/run.lock                          one analysis at a time
 *
 * The records' types belong to the layer that computes them (src/analysis/critical-batch.ts);
 * the store files a branch by the checkpoint's epoch and its batch size, and reads back what
 * it wrote, bounded, so a damaged file is named, never trusted.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseBoundedJson } from '../core/bounded-json';
import { GradscopeFileError } from '../core/errors';
import { readTextFile } from '../core/regular-file';
import { writeJsonRecord } from './json-files';

/** Far above a result of hundreds of branches (a few hundred bytes each). */
const MAX_RESULT_BYTES = 16 * 2 ** 20;
const MAX_DEPTH = 16;

/** DIR/critical-batch.json, the result. */
export function criticalBatchFile(runDir: string): string {
  return path.join(runDir, 'critical-batch.json');
}

/** DIR/critical-batch, the finished branches, the figure and the lock. */
export function criticalBatchDir(runDir: string): string {
  return path.join(runDir, 'critical-batch');
}

/** DIR/critical-batch/run.lock. */
export function criticalBatchLock(runDir: string): string {
  return path.join(criticalBatchDir(runDir), 'run.lock');
}

function branchName(epoch: number, batchSize: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}-batch-${String(batchSize).padStart(5, '0')}`;
}

/** A finished branch's file. */
export function branchResultFile(runDir: string, epoch: number, batchSize: number): string {
  return path.join(criticalBatchDir(runDir), `${branchName(epoch, batchSize)}.json`);
}

/** A branch's metrics as it trains (begun afresh when the branch is). */
export function branchMetricsFile(runDir: string, epoch: number, batchSize: number): string {
  return path.join(criticalBatchDir(runDir), `${branchName(epoch, batchSize)}.metrics.jsonl`);
}

/** Writes a finished branch atomically and drops its metrics (the branch keeps its epochs). */
export function writeBranchResult(
  runDir: string,
  epoch: number,
  batchSize: number,
  branch: object,
): string {
  const file = branchResultFile(runDir, epoch, batchSize);
  writeJsonRecord(file, branch);
  fs.rmSync(branchMetricsFile(runDir, epoch, batchSize), { force: true });
  return file;
}

/** A JSON object from `file`, bounded; a damaged one is one GradscopeFileError. */
function readObject(file: string, what: string): Record<string, unknown> {
  const parsed = parseBoundedJson(readTextFile(file, MAX_RESULT_BYTES), MAX_DEPTH);
  if ('problem' in parsed || typeof parsed.value !== 'object' || parsed.value === null)
    throw new GradscopeFileError(
      file,
      `${what} that ${'problem' in parsed ? parsed.problem : 'is not a JSON object'}: damaged or not gradscope's`,
    );
  return parsed.value as Record<string, unknown>;
}

/** A finished branch, or undefined when there is none; a damaged one throws. */
export function readBranchResult(
  runDir: string,
  epoch: number,
  batchSize: number,
): Record<string, unknown> | undefined {
  const file = branchResultFile(runDir, epoch, batchSize);
  if (!fs.existsSync(file)) return undefined;
  return readObject(file, 'a critical-batch branch');
}

/** Writes the result to DIR/critical-batch.json atomically; returns the file. */
export function writeCriticalBatch(runDir: string, result: object): string {
  const file = criticalBatchFile(runDir);
  writeJsonRecord(file, result);
  return file;
}

/** DIR/critical-batch.json, or undefined when the run has none. */
export function readCriticalBatch(runDir: string): Record<string, unknown> | undefined {
  const file = criticalBatchFile(runDir);
  if (!fs.existsSync(file)) return undefined;
  return readObject(file, 'a critical-batch result');
}
