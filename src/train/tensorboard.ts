/**
 * The one sink through which a run tells TensorBoard what it measures, as it goes:
 * scalars and histograms per "run" (TensorBoard's word: one subfolder of the sink's
 * root, here a phase such as "process1" or "arm-1000", or "lines"), each at a step
 * (the epoch; the alpha index along a line). One event file per run folder per sink;
 * every event is fsynced as it is written (so at each epoch's end everything is on disk).
 *
 * Resuming: a resumed process redoes the epochs after its last checkpoint, bit for bit.
 * Rather than write those steps twice, the sink reads the event files already in a run
 * folder once (complete records only) and skips every (tag, step) they hold; what is
 * new goes to a NEW file, never appended to one a kill may have cut short.
 */
import * as path from 'path';
import {
  EventFileWriter,
  readEventDir,
  type HistogramProto,
  type SummaryValue,
} from './event-file';

export type { HistogramProto } from './event-file';

export class TensorBoardSink {
  private readonly writers = new Map<string, EventFileWriter>();
  private readonly written = new Map<string, Set<string>>();

  /** Events go to `root/<run>/`. */
  constructor(readonly root: string) {}

  private writer(run: string): { writer: EventFileWriter; written: Set<string> } {
    let writer = this.writers.get(run);
    if (!writer) {
      const dir = path.join(this.root, run);
      const written = new Set<string>();
      for (const e of readEventDir(dir))
        for (const v of e.summary?.value ?? []) written.add(`${v.tag}@${e.step}`);
      this.written.set(run, written);
      writer = new EventFileWriter(dir);
      this.writers.set(run, writer);
    }
    return { writer, written: this.written.get(run)! };
  }

  private put(run: string, step: number, values: SummaryValue[]): void {
    const { writer, written } = this.writer(run);
    const fresh = values.filter((v) => !written.has(`${v.tag}@${step}`));
    if (fresh.length === 0) return;
    writer.write({ wallTime: Date.now() / 1000, step, summary: { value: fresh } });
    for (const v of fresh) written.add(`${v.tag}@${step}`);
  }

  /** Scalars at one step; non-finite values are written as they are (TensorBoard shows them). */
  scalars(run: string, step: number, values: Record<string, number>): void {
    this.put(
      run,
      step,
      Object.entries(values).map(([tag, simpleValue]) => ({ tag, simpleValue })),
    );
  }

  histograms(run: string, step: number, values: Record<string, HistogramProto>): void {
    this.put(
      run,
      step,
      Object.entries(values).map(([tag, histo]) => ({ tag, histo })),
    );
  }
}

/**
 * A HistogramProto from values and the upper edges of regular bins with their counts
 * (gradscope's histograms: bins [0, w), [w, 2w), ..., and an overflow bin, whose upper
 * edge is the largest double, as TensorFlow's own histograms end).
 */
export function histogramProto(
  values: number[],
  upperEdges: number[],
  counts: number[],
): HistogramProto {
  return {
    min: values.length ? Math.min(...values) : 0,
    max: values.length ? Math.max(...values) : 0,
    num: values.length,
    sum: values.reduce((s, v) => s + v, 0),
    sumSquares: values.reduce((s, v) => s + v * v, 0),
    bucketLimit: upperEdges,
    bucket: counts,
  };
}
