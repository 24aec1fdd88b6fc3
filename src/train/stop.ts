/**
 * Stopping a run on SIGTERM or SIGINT without losing anything. Training is
 * synchronous JS calling native code, so a signal handler runs only when the event
 * loop turns: the training loop yields to it between steps (at most every 20 ms, a
 * few microseconds each) and checks the flag the handler sets. The step in progress
 * completes, no partial epoch is checkpointed (the last complete checkpoint stays,
 * and every file is written atomically), a "stopped" status goes to metrics.jsonl,
 * and the command exits with 128 + the signal's number (130, 143), printing where it
 * stopped and the command that resumes it.
 */
import { constants } from 'os';
import { shellQuote } from '../core/quote';

let requested: NodeJS.Signals | undefined;
let watching = false;
let lastYield = 0n;

/** A run stopped by a signal; the command line prints its message and exits 128 + signal. */
export class RunStopped extends Error {
  /** The command that continues the run (set by the command that started it). */
  resume: string | undefined;

  constructor(
    readonly signal: NodeJS.Signals,
    message: string,
  ) {
    super(message);
    this.name = 'RunStopped';
  }

  get exitCode(): number {
    return 128 + (constants.signals[this.signal] ?? 15);
  }
}

/** From now on SIGTERM and SIGINT ask the run to stop at the next step instead of killing it. */
export function watchStopSignals(): void {
  if (watching) return;
  watching = true;
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.on(signal, () => {
      if (requested) process.exit(128 + constants.signals[signal]); // a second signal: now
      requested = signal;
    });
}

/** The signal asking the run to stop, if one came. */
export function stopRequested(): NodeJS.Signals | undefined {
  return requested;
}

/** Lets a pending signal's handler run (at most every 20 ms, so it costs nothing per step). */
export async function yieldToSignals(): Promise<void> {
  if (!watching) return;
  const now = process.hrtime.bigint();
  if (now - lastYield < 20_000_000n) return;
  lastYield = now;
  await new Promise((resolve) => setImmediate(resolve));
}

/** `gradscope <the same arguments> --resume` (with --out DIR when it was not given). */
export function resumeCommand(runDir: string, argv: string[] = process.argv.slice(2)): string {
  const args = [...argv];
  if (!args.some((a) => a === '--out' || a.startsWith('--out='))) args.push('--out', runDir);
  if (!args.includes('--resume')) args.push('--resume');
  return ['gradscope', ...args.map(shellQuote)].join(' ');
}
