/**
 * The largest values a config or option may ask for. Every count here sizes an
 * allocation or a loop, so an absurd value (a 10-million-entry seeds list, a line of
 * 10^8 points, 10^12 gradient draws) would exhaust memory or run for years instead
 * of being refused; each maximum is far above any study of docs/mathematics.md (the thesis,
 * configs/thesis.yaml, uses 1-5 seeds, 4 arms, 51 line points, 100 draws, at most a few
 * hundred epochs).
 * docs/study.md "Limits" lists them.
 */
import { expected } from '../core/errors';

export const LIMITS = {
  /** Bytes of a config file (the thesis config is about 2 kB). */
  configBytes: 1_000_000,
  /** Entries of `seeds`. */
  seeds: 1000,
  /** Entries of any other list: arms, batch-size lists, eps lists, schedule epochs. */
  listLength: 64,
  /** Epochs of a phase, patience, analysis intervals. */
  epochs: 100_000,
  /** A batch size (the largest data set a single machine holds is smaller). */
  batchSize: 10_000_000,
  /** Example counts: line and sharpness samples, ghost batches. */
  examples: 10_000_000,
  /** Gradient draws per batch size (K). */
  samples: 1_000_000,
  /** Points of an alpha grid. */
  gridPoints: 100_000,
  /** Iterations and directions of a sharpness or Hessian estimate. */
  iterations: 1_000_000,
  /** Threads of each pool (--threads): above the hardware threads of any one machine today
   * (two 192-core sockets: 768), fixed rather than this machine's count so that a Slurm job
   * script written on a small login node may ask for a large compute node; 10^9 made libgomp
   * try to allocate 224 GB (issue 27). */
  threads: 1024,
} as const;

/** A positive integer no larger than `max`, else "Expected ... for <field> ...". */
export function checkCount(value: unknown, max: number, field: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw expected(`an integer from ${min} to ${max}`, field, value);
  return value;
}

/** A list of at most `max` entries: checked before its entries are looked at. */
export function checkListLength(value: unknown, max: number, field: string): void {
  if (Array.isArray(value) && value.length > max)
    throw expected(`a list of at most ${max} entries`, field, `a list of ${value.length}`);
}
