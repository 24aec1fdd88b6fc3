/** Parsing of the option values shared by several commands. */
import { expected } from '../engine/errors';
import { setThreads, type ThreadSettings } from '../engine/threads';

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

/** --threads N: both torch's and BLAS's pools; otherwise the per-workload default. */
export function applyThreads(value: unknown, fallback: ThreadSettings): ThreadSettings {
  if (value === undefined) return setThreads(fallback);
  const n = integerOption(value, '--threads', 1);
  return setThreads({ torch: n, blas: n });
}
