/**
 * The table of measured critical batch sizes a ramp arm follows (`gradscope analyze
 * critical-batch` writes it):
 *
 *   { "points": [ { "epoch": <process-1 epoch>, "criticalBatch": <number> }, ... ] }
 *
 * epochs non-negative integers in increasing order, critical batch sizes positive numbers;
 * other fields beside `points` and in each point are allowed (and ignored), so the writer may
 * say more. Read whole, as a regular file of bounded size and nesting; anything else is one
 * line naming the file.
 */
import { parseBoundedJson } from '../core/bounded-json';
import { GradscopeFileError, isNonNegativeInteger } from '../core/errors';
import { readTextFile } from '../core/regular-file';
import { LIMITS } from '../engine/limits';

export interface CriticalBatchPoint {
  /** Epochs of process 1 done at the checkpoint measured. */
  epoch: number;
  criticalBatch: number;
}

/** A table is a few hundred bytes; a megabyte is far beyond any. */
const MAX_TABLE_BYTES = 2 ** 20;
const MAX_TABLE_DEPTH = 8;

/** The points of a critical-batch table file, checked. */
export function readCriticalBatchTable(file: string): CriticalBatchPoint[] {
  const parsed = parseBoundedJson(readTextFile(file, MAX_TABLE_BYTES), MAX_TABLE_DEPTH);
  const bad = (problem: string) =>
    new GradscopeFileError(
      file,
      `${problem}; a critical-batch table is { "points": [ { "epoch": E, "criticalBatch": B }, ... ] }`,
    );
  if ('problem' in parsed) throw bad(`${parsed.problem}`);
  const value = parsed.value as { points?: unknown } | null;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('not a JSON object');
  const points = value.points;
  if (!Array.isArray(points) || points.length === 0)
    throw bad('no "points" list (or an empty one)');
  if (points.length > LIMITS.listLength)
    throw bad(`${points.length} points, more than ${LIMITS.listLength}`);
  const out: CriticalBatchPoint[] = [];
  points.forEach((p: unknown, i) => {
    const point = p as { epoch?: unknown; criticalBatch?: unknown } | null;
    if (typeof point !== 'object' || point === null) throw bad(`points[${i}] is not an object`);
    const { epoch, criticalBatch } = point;
    if (!isNonNegativeInteger(epoch) || epoch > LIMITS.epochs)
      throw bad(`points[${i}].epoch is not an epoch (a non-negative integer)`);
    if (
      typeof criticalBatch !== 'number' ||
      !(criticalBatch > 0) ||
      !Number.isFinite(criticalBatch)
    )
      throw bad(`points[${i}].criticalBatch is not a positive number`);
    if (i > 0 && epoch <= out[i - 1]!.epoch)
      throw bad(
        `points[${i}].epoch ${epoch} does not follow ${out[i - 1]!.epoch} (epochs must increase)`,
      );
    out.push({ epoch, criticalBatch });
  });
  return out;
}
