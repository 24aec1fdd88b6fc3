/**
 * Which PyTorch settings the bench times in which round of a workload, and when it stops one.
 *
 * The first round times every setting, in the order given (the bench puts the setting that was
 * fastest on most of the same network's rows so far first and PyTorch's defaults last). Each
 * setting after the first is paced by the best setting timed before it in this round (the
 * lowest median): each of its runs, the untimed warm-up too, is stopped as soon as its time
 * passes STOP_FACTOR x the best's same run at the end of the chunk it is in, plus a grace of
 * max(STOP_SLACK_MS, GRACE_FRACTION x that run's time): at the chunk's end, or within it
 * (bench/pytorch_bench.py's watchdog: PyTorch's defaults ran their first C1 chunk of 5000
 * examples for 58-63 s, where the best setting's took 27 s, the heap's regrowth included, and
 * were stopped only when it ended). The row then says only that the setting takes more than the
 * time it had run. Same run against same run: a run's first chunk regrows the heap given back
 * after the last batch (on the 2-core AMD machine 25 s of page faults for C1 at 5000 examples),
 * and the best paid that too at the same point. A setting stopped so could not have been the
 * best, nor would it be timed in a later round (STOP_FACTOR is KEEP_FACTOR); one 2x slower is
 * stopped within its first chunks, not after 1.5 times the best's whole time, which on the rows
 * of one run of a minute or more took a third of a 30-minute bench. PyTorch's defaults are
 * 13-18x slower on C1 (memory returned to the system at every step): timing them in full in
 * every round took most of an hour-long bench. The later rounds, alternated with gradscope's,
 * time the settings that compete: those not stopped whose first-round median is within
 * KEEP_FACTOR of the best first-round median.
 */

/** After the first round, the settings within this factor of the best keep being timed. */
export const KEEP_FACTOR = 1.25;
/** A run falling behind this many times the best setting's same run is stopped. */
export const STOP_FACTOR = KEEP_FACTOR;
/** The least grace a run has (a short workload's first run pays for set-up)... */
export const STOP_SLACK_MS = 1000;
/** ... and as a fraction of the best's same run. */
export const GRACE_FRACTION = 0.1;

/** A batch's pace: per run (the untimed one first), the time allowed at the end of each chunk
 * (past the allowances, the last one holds); the run is stopped at the latest at the last. */
export interface RunPace {
  paceMs: number[][];
}

/** One batch of a setting's timings: its timed runs' milliseconds and each run's time at the end
 * of each chunk (the untimed run first), or where it was stopped. */
export type SettingBatch = { ms: number[]; ticksMs?: number[][] } | { stoppedAtMs: number };

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

  /** The setting with the lowest first-round median among those before `setting`, and that
   * median; null: none. */
  private bestBefore(setting: number): { setting: number; median: number } | null {
    let best: { setting: number; median: number } | null = null;
    for (let i = 0; i < setting; i++) {
      const first = this.batches[i]![0];
      if (first && 'ms' in first && first.ms.length > 0) {
        const m = median(first.ms);
        if (best === null || m < best.median) best = { setting: i, median: m };
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
    return best !== null && median(first.ms) <= KEEP_FACTOR * best.median;
  }

  /** The pace the runs of `setting` in `round` keep; null: none (the first setting, and every
   * setting after the first round). */
  pace(setting: number, round: number): RunPace | null {
    if (round !== 0) return null;
    const best = this.bestBefore(setting);
    const first = best && this.batches[best.setting]![0];
    if (!first || !('ms' in first) || !first.ticksMs || first.ticksMs.length === 0) return null;
    return {
      paceMs: first.ticksMs.map((ticks) => {
        const graceMs = Math.max(STOP_SLACK_MS, GRACE_FRACTION * (ticks[ticks.length - 1] ?? 0));
        return ticks.map((t) => STOP_FACTOR * t + graceMs);
      }),
    };
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

/** What a network's rows so far showed of the PyTorch settings. */
export interface NetworkRows {
  /** The fastest setting other than the defaults on each of the network's rows so far, in order. */
  fastest: string[];
  /** Each setting stopped (or left out) on one of its rows, and the first such row. */
  stopped: Map<string, string>;
}

/**
 * The settings a row of a network times, in order, and those it leaves out: first the one that
 * was fastest on most of the network's rows so far (ties: the one fastest latest), then the
 * others in their order. The first setting of a round runs without a pace, and every later one
 * is stopped once clearly behind it, so the likely best going first stops the others soonest: on
 * F1, 1 thread is twice as fast as 2 on every row but the Hessian-vector product (with the last
 * row's fastest first, 2 threads ran the whole F1 Experiment B point unpaced, 74 s against 1
 * thread's 38 s); on C1 2 threads are the fastest. A setting stopped on an earlier row of the
 * network, more than STOP_FACTOR behind the best there, is left out: it could not be the best, and
 * its runs up to the stop took minutes of the bench (on C1, 1 thread was 1.5-2x behind on every
 * row). PyTorch's defaults too: their column then names the row that stopped them (on C1 more than
 * 14x behind at a step of 256, 3.5-5x on every later row; their first chunk of 5000 examples,
 * stopped at 43 s, made up a fifth of a 20-minute bench).
 */
export function rowSettings<S extends { label: string }>(
  settings: S[],
  rows: NetworkRows | undefined,
): { timed: S[]; left: { label: string; stoppedOn: string }[] } {
  const first = settings.find((s) => s.label === mostOften(rows?.fastest ?? []));
  const ordered = first ? [first, ...settings.filter((s) => s !== first)] : settings;
  const stoppedOn = (s: S) => rows?.stopped.get(s.label);
  return {
    timed: ordered.filter((s) => stoppedOn(s) === undefined),
    left: ordered.flatMap((s) => {
      const row = stoppedOn(s);
      return row === undefined ? [] : [{ label: s.label, stoppedOn: row }];
    }),
  };
}

/** The label in `labels` most often (ties: the one latest); undefined when there is none. */
function mostOften(labels: string[]): string | undefined {
  const counts = new Map<string, number>();
  let best: string | undefined;
  for (const label of labels) {
    const count = (counts.get(label) ?? 0) + 1;
    counts.set(label, count);
    if (best === undefined || count >= counts.get(best)!) best = label;
  }
  return best;
}
