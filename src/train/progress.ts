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

export function makeProgress(options: { quiet: boolean; interval?: number }): Progress {
  if (options.quiet) return { step() {}, work() {}, line() {} };
  const tty = Boolean(process.stderr.isTTY);
  const interval = (options.interval ?? 30) * 1000;
  let epochStart = Date.now();
  let lastEpochSeen = -1;
  let lastPrint = 0;
  let pending = false;
  let workStart = 0;
  return {
    step(phase, epoch, lastEpoch, done, total, loss) {
      const now = Date.now();
      if (epoch !== lastEpochSeen) {
        lastEpochSeen = epoch;
        epochStart = now;
      }
      if (now - lastPrint < (tty ? 200 : interval) && done !== total) return;
      lastPrint = now;
      const rate = done / Math.max(1e-3, (now - epochStart) / 1000);
      const left = (total - done) / rate + (lastEpoch - epoch) * (total / rate);
      const text = `${phase} epoch ${epoch}/${lastEpoch} step ${done}/${total} loss ${loss.toFixed(4)} ${rate.toFixed(1)} steps/s, ${clock(left)} left`;
      if (tty) {
        process.stderr.write(`\r\x1b[K${text}`);
        pending = true;
      } else if (done !== total) {
        process.stderr.write(`${text}\n`);
      }
    },
    work(label, done, total) {
      const now = Date.now();
      if (done <= 1 || workStart === 0) workStart = now;
      if (now - lastPrint < (tty ? 200 : interval) && done !== total) return;
      lastPrint = now;
      const rate = done / Math.max(1e-3, (now - workStart) / 1000);
      const text = `${label} ${done}/${total}, ${clock((total - done) / rate)} left`;
      if (tty) {
        process.stderr.write(`\r\x1b[K${text}`);
        pending = true;
      } else if (done !== total) {
        process.stderr.write(`${text}\n`);
      }
    },
    line(message) {
      if (pending) process.stderr.write('\r\x1b[K');
      pending = false;
      process.stderr.write(`${message}\n`);
    },
  };
}
