/**
 * Which PyTorch settings the bench times in which round of a workload, and when it stops one.
 *
 * The first round times every setting, in the order given (the bench puts PyTorch's defaults
 * last). Each setting after the first runs under a limit: once one of its runs (its untimed
 * warm-up included) passes max(STOP_FACTOR x the best median timed before it in this round,
 * that median + STOP_SLACK_MS), it is stopped there, and the row says only that it takes more
 * than that. PyTorch's defaults are 13-18x slower on C1 (memory returned to the system at every
 * step): timing them in full in every round took most of an hour-long bench.
 * The later rounds, alternated with gradscope's, time the settings that compete: those not
 * stopped whose first-round median is within KEEP_FACTOR of the best first-round median.
 */

/** A run slower than this many times the best setting's median so far is stopped. */
export const STOP_FACTOR = 1.5;
/** ... and than the best median plus this (a short workload's first run pays for set-up). */
export const STOP_SLACK_MS = 1000;
/** After the first round, the settings within this factor of the best keep being timed. */
export const KEEP_FACTOR = 1.25;

/** One batch of a setting's timings: its timed runs' milliseconds, or where it was stopped. */
export type SettingBatch = { ms: number[] } | { stoppedAtMs: number };

/** What the bench reports of one setting over the rounds of a workload. */
export interface SettingSummary {
  /** The median of all its timings; null if it was stopped. */
  medianMs: number | null;
  /** Stopped: the time its stopped run had taken when it was stopped. */
  atLeastMs: number | null;
  /** The rounds it was timed in. */
  rounds: number;
  timings: number;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The rounds of `settings` PyTorch settings over one workload, fed batch by batch. */
export class SettingRounds {
  private readonly batches: SettingBatch[][];

  constructor(readonly settings: number) {
    this.batches = Array.from({ length: settings }, () => []);
  }

  /** The best (lowest) first-round median among the settings before `setting`; null: none. */
  private bestBefore(setting: number): number | null {
    let best: number | null = null;
    for (let i = 0; i < setting; i++) {
      const first = this.batches[i]![0];
      if (first && 'ms' in first && first.ms.length > 0) {
        const m = median(first.ms);
        if (best === null || m < best) best = m;
      }
    }
    return best;
  }

  /** Whether `setting` is timed in `round` (0-based). */
  runs(setting: number, round: number): boolean {
    if (round === 0) return true;
    const first = this.batches[setting]![0];
    if (!first || !('ms' in first) || first.ms.length === 0) return false;
    const best = this.bestBefore(this.settings);
    return best !== null && median(first.ms) <= KEEP_FACTOR * best;
  }

  /** The limit of each run of `setting` in `round`, in milliseconds; null: none. */
  limitMs(setting: number, round: number): number | null {
    if (round !== 0) return null;
    const best = this.bestBefore(setting);
    return best === null ? null : Math.max(STOP_FACTOR * best, best + STOP_SLACK_MS);
  }

  /** Records the batch `setting` gave in its next round. */
  record(setting: number, batch: SettingBatch): void {
    this.batches[setting]!.push(batch);
  }

  summary(setting: number): SettingSummary {
    const batches = this.batches[setting]!;
    const stopped = batches.find((b): b is { stoppedAtMs: number } => 'stoppedAtMs' in b);
    const ms = batches.flatMap((b) => ('ms' in b ? b.ms : []));
    return {
      medianMs: stopped || ms.length === 0 ? null : median(ms),
      atLeastMs: stopped ? stopped.stoppedAtMs : null,
      rounds: batches.length,
      timings: ms.length,
    };
  }
}
