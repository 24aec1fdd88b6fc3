/**
 * Progress of long work on stderr: on a terminal one line rewritten in place
 * (phase, epoch, step, rate, time left); otherwise a plain line every `interval`
 * seconds, so logs of batch jobs stay readable. Silent with --quiet.
 */
export interface Progress {
  /** Called after each step of an epoch. */
  step(
    phase: string,
    epoch: number,
    lastEpoch: number,
    done: number,
    total: number,
    loss: number,
  ): void;
  /** Progress of any other long work: `done` of `total` units, with a label. */
  work(label: string, done: number, total: number): void;
  /** A line that stays (end of epoch, status). */
  line(message: string): void;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Where the progress goes and what clock it reads: stderr and Date.now, replaced in tests. */
export interface ProgressSink {
  now(): number;
  write(text: string): void;
  tty: boolean;
}

const stderrSink: ProgressSink = {
  now: () => Date.now(),
  write: (text) => process.stderr.write(text),
  get tty() {
    return Boolean(process.stderr.isTTY);
  },
};

/**
 * The rate and time left of one piece of work, measured from the first report of it: a report
 * that starts a new piece (another label or epoch, or fewer units done than before) resets the
 * baseline, so work that begins with a large first chunk is not timed against an earlier piece's
 * start. Until a second report the time left is unknown ('?').
 */
class Pace {
  private key = '';
  private startTime = 0;
  private startDone = 0;
  private lastDone = 0;

  observe(key: string, done: number, now: number): number {
    if (key !== this.key || done < this.lastDone) {
      this.key = key;
      this.startTime = now;
      this.startDone = done;
    }
    this.lastDone = done;
    const seconds = (now - this.startTime) / 1000;
    return seconds > 0 && done > this.startDone ? (done - this.startDone) / seconds : NaN;
  }
}

/**
 * Progress on stderr for `runTraining` and `runStudy`: on a terminal one line rewritten in
 * place, otherwise a plain line every `interval` seconds (default 30); `quiet`: none.
 *
 * @example
 * ```ts
 * import { makeProgress, runStudy, thesisConfig } from 'gradscope';
 * const progress = makeProgress({ quiet: !process.stderr.isTTY });
 * await runStudy(thesisConfig('F1'), 'runs/thesis-f1', { resume: false, progress });
 * ```
 */
export function makeProgress(options: {
  quiet: boolean;
  interval?: number;
  sink?: ProgressSink;
}): Progress {
  if (options.quiet) return { step() {}, work() {}, line() {} };
  const sink = options.sink ?? stderrSink;
  const tty = sink.tty;
  const interval = (options.interval ?? 30) * 1000;
  const stepPace = new Pace();
  const workPace = new Pace();
  let lastPrint = 0;
  let pending = false;
  const show = (text: string, last: boolean) => {
    if (tty) {
      sink.write(`\r\x1b[K${text}`);
      pending = true;
    } else if (!last) {
      sink.write(`${text}\n`);
    }
  };
  return {
    step(phase, epoch, lastEpoch, done, total, loss) {
      const now = sink.now();
      const rate = stepPace.observe(`${phase} ${epoch}`, done, now);
      if (now - lastPrint < (tty ? 200 : interval) && done !== total) return;
      lastPrint = now;
      const left = (total - done) / rate + (lastEpoch - epoch) * (total / rate);
      const speed = Number.isFinite(rate) ? `${rate.toFixed(1)} steps/s` : '? steps/s';
      show(
        `${phase} epoch ${epoch}/${lastEpoch} step ${done}/${total} loss ${loss.toFixed(4)} ${speed}, ${clock(left)} left`,
        done === total,
      );
    },
    work(label, done, total) {
      const now = sink.now();
      const rate = workPace.observe(label, done, now);
      if (now - lastPrint < (tty ? 200 : interval) && done !== total) return;
      lastPrint = now;
      show(`${label} ${done}/${total}, ${clock((total - done) / rate)} left`, done === total);
    },
    line(message) {
      if (pending) sink.write('\r\x1b[K');
      pending = false;
      sink.write(`${message}\n`);
    },
  };
}
