/**
 * metrics.jsonl: one JSON object per line, appended as training and analysis go.
 * On resume, lines written after the checkpoint being resumed from are dropped,
 * so the file always tells the history of the state on disk.
 */
import * as fs from 'fs';
import { writeFileAtomic } from '../core/atomic-write';
import { withFile } from '../core/file-errors';
import { withLock } from '../core/lock';

/** The arms of a seed may run in parallel (pieces of a study): writers of one metrics
 * file take turns under `<file>.lock`, so a rewrite never drops another's line. */
function underLock<T>(file: string, work: () => T): T {
  return withLock(`${file}.lock`, `the metrics file ${file}`, work);
}

export interface EpochRecord {
  kind: 'epoch';
  /** "process1" or the arm's name, e.g. "B2=1000". */
  phase: string;
  epoch: number;
  step: number;
  batchSize: number;
  learningRate: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
  smoothoutAmplitude?: number;
  /** An epoch cut short by an examples budget (a critical-batch branch): the examples it took. */
  examples?: number;
}

export interface StatusRecord {
  kind: 'status';
  phase: string;
  epoch: number;
  status: 'diverged' | 'converged' | 'switched' | 'finished' | 'branched' | 'stopped';
  message: string;
  /** On convergence or a switch (and on the branched line): the epoch process 2 branches from. */
  branchEpoch?: number;
  /** On a switch by the noise scale: EMA B_simple at the switch and f x B2 it reached. */
  simpleNoiseScale?: number;
  switchThreshold?: number;
}

/** The statuses that end a phase for good (a resume skips such a phase). */
export const TERMINAL_STATUSES: readonly string[] = [
  'finished',
  'converged',
  'switched',
  'diverged',
];

/**
 * The status record that ended `phase` for good (TERMINAL_STATUSES), or undefined while it has
 * not ended: not begun, running, or stopped part-way.
 *
 * @example
 * ```ts
 * const end = phaseEnd(readMetrics(metricsFile(runDir)), 'arm-5000');
 * console.log(end ? `ended: ${end.status}` : 'not ended');
 * ```
 */
export function phaseEnd(records: MetricsRecord[], phase: string): StatusRecord | undefined {
  return records.find(
    (r): r is StatusRecord =>
      r.kind === 'status' &&
      r.phase === phase &&
      TERMINAL_STATUSES.includes(String((r as StatusRecord).status)),
  );
}

/**
 * A ramp arm's batch size from epoch `epoch` on (docs/mathematics.md, "Switch and ramp
 * rules"): written at the start of the arm's first epoch and of every epoch where it grows.
 */
export interface BatchSizeRecord {
  kind: 'batch-size';
  phase: string;
  /** The first epoch trained at this batch size (a resume from epoch e drops those after e). */
  epoch: number;
  /** Optimizer steps taken before it. */
  step: number;
  batchSize: number;
  /** The batch size before (process 1's at the arm's first epoch). */
  previousBatchSize: number;
  learningRate: number;
  /** What drove it, the driver's value (undefined: none yet) and factor x driver. */
  by: 'noise-scale' | 'critical-batch';
  driver?: number;
  target?: number;
}

/**
 * One live measurement of the gradient noise scale (docs/mathematics.md, "The gradient noise
 * scale during training"), taken before optimizer step `step + 1`, during `epoch`.
 */
export interface NoiseScaleRecord {
  kind: 'noise-scale';
  phase: string;
  /** The epoch in progress (1-based): a resume from epoch e's checkpoint drops those after e. */
  epoch: number;
  /** Epochs of training done at the measurement: epoch - 1 + s / S, s of the epoch's S steps. */
  atEpoch: number;
  /** Optimizer steps taken before the measurement. */
  step: number;
  /** The step's batch size B, its chunks k and their size b (k b of the B examples measured). */
  batchSize: number;
  chunks: number;
  chunkSize: number;
  /** This measurement's unbiased estimates of |G|^2 and tr(Sigma). */
  gradientSquared: number;
  trace: number;
  /**
   * Which moving average the record's averages and B_simple are: 'scale-free' (the averages
   * of |G|^2 / s and tr(Sigma) / s, s = `scale` this measurement's |G_small|^2); absent in
   * records written before it (the averages of |G|^2 and tr(Sigma) themselves).
   */
  average?: 'scale-free';
  /** s = |G_small|^2 of this measurement (with average 'scale-free'). */
  scale?: number;
  /** Their moving averages (length `emaSteps` optimizer steps, bias-corrected). */
  emaSteps: number;
  gradientSquaredAverage: number;
  traceAverage: number;
  /** B_simple = traceAverage / gradientSquaredAverage, and the norm test's (1/B - 1/n) B_simple. */
  simpleNoiseScale: number;
  normTest: number;
  /** Seconds the measurement took. */
  seconds: number;
}

export type MetricsRecord =
  | EpochRecord
  | StatusRecord
  | NoiseScaleRecord
  | BatchSizeRecord
  | ({ kind: string } & Record<string, unknown>);

/** The noise-scale measurements among `records` (of one phase, when given), in order. */
export function noiseScaleRecords(records: MetricsRecord[], phase?: string): NoiseScaleRecord[] {
  return records.filter(
    (r): r is NoiseScaleRecord =>
      r.kind === 'noise-scale' && (phase === undefined || r.phase === phase),
  );
}

/** Appends `records` (in order, one write and one fsync; none: nothing). */
export function appendMetrics(file: string, ...records: MetricsRecord[]): void {
  if (records.length === 0) return;
  underLock(file, () =>
    withFile(file, () => {
      const fd = fs.openSync(file, 'a');
      try {
        fs.writeSync(fd, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }),
  );
}

export function readMetrics(file: string): MetricsRecord[] {
  if (!fs.existsSync(file)) return [];
  const out: MetricsRecord[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricsRecord);
    } catch {
      break; // a line cut short by a kill: what follows it is not history
    }
  }
  return out;
}

/** Keeps the records `keep` accepts, rewriting the file atomically. */
export function truncateMetrics(file: string, keep: (r: MetricsRecord) => boolean): void {
  underLock(file, () => {
    const kept = readMetrics(file).filter(keep);
    writeFileAtomic(file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  });
}
