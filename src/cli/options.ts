/**
 * Parsing of option values shared by the commands' declarations (src/cli/command.ts): each
 * says, in one line naming the option, what it expected and what it received.
 */
import { expected } from '../core/errors';
import { LIMITS } from '../engine/limits';
import { setThreads, type ThreadSettings } from '../engine/threads';
import type { DataSubset } from '../data/subset';

/** An integer in [min, max]; `fallback` when the option is not given. */
export function integerOption(
  value: unknown,
  option: string,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isSafeInteger(n) || n < min)
    throw expected(`an integer of at least ${min}`, option, value);
  if (n > max) throw expected(`an integer of at most ${max}`, option, value);
  return n;
}

/**
 * --subset TRAIN[,TEST]: only the first TRAIN training examples (token data: windows) and the
 * first TEST test examples; TEST left out keeps the whole test set.
 */
export function subsetOption(value: string, option: string): DataSubset {
  const parts = value.split(',');
  const counts = parts.map((x) => (/^\s*\d+\s*$/.test(x) ? Number(x) : NaN));
  if (parts.length > 2 || !counts.every((n) => Number.isSafeInteger(n) && n > 0))
    throw expected(
      'TRAIN or TRAIN,TEST (positive counts of examples, token data: windows)',
      option,
      value,
    );
  return { train: counts[0]!, ...(counts.length === 2 ? { test: counts[1]! } : {}) };
}

/** A finite number; `fallback` when the option is not given. */
export function numberOption(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n))
    throw expected('a number', option, value);
  return n;
}

/** A comma-separated list of positive integers of at most `max` (batch sizes, epochs). */
export function integerList(
  value: unknown,
  option: string,
  max: number = LIMITS.batchSize,
): number[] {
  const parts = String(value).split(',');
  if (parts.length > LIMITS.listLength)
    throw expected(`a list of at most ${LIMITS.listLength} entries`, option, value);
  const list = parts.map(Number);
  if (!list.every((n) => Number.isSafeInteger(n) && n > 0))
    throw expected('a comma-separated list of positive integers', option, value);
  if (!list.every((n) => n <= max))
    throw expected(`a comma-separated list of integers of at most ${max}`, option, value);
  return list;
}

/** --threads N as both pools' size, or undefined when not given. */
export function threadsOption(value: unknown): ThreadSettings | undefined {
  if (value === undefined) return undefined;
  const n = integerOption(value, '--threads', 1, 1, LIMITS.threads);
  return { torch: n, blas: n };
}

/** --threads N: both torch's and BLAS's pools; otherwise the per-workload default. */
export function applyThreads(
  asked: ThreadSettings | undefined,
  fallback: ThreadSettings,
): ThreadSettings {
  return setThreads(asked ?? fallback);
}
