/**
 * Stopping a run on SIGTERM or SIGINT without losing anything. Training and analysis are
 * synchronous JS calling native code, so a signal handler runs only when the event
 * loop turns: every long loop yields to it at each unit of its work (at most every 20 ms,
 * a few microseconds each) and checks the flag the handler sets: the training loop
 * between steps, and `throwIfStopped` in every other loop of a study, at each line or
 * surface point, each Hessian-vector product, each loss or gradient of the sharpness
 * maximisation and each draw of Experiment B. The unit in progress completes; nothing
 * partial is written (a piece writes its file whole at its end, atomically; no partial
 * epoch is checkpointed, so the last complete checkpoint stays), a "stopped" status goes to
 * metrics.jsonl when training stops, and the command exits with 128 + the signal's number
 * (130, 143), printing where it stopped and the command that resumes it.
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

/**
 * The cooperative check of every long loop: lets a pending signal's handler run and throws
 * RunStopped when a signal came, saying where (`where()`: "at point 3 of 51", ...). Without
 * watchStopSignals (a library caller, `analyze`) it costs one resolved promise.
 */
export async function throwIfStopped(where: () => string): Promise<void> {
  await yieldToSignals();
  if (requested) throw new RunStopped(requested, `stopped by ${requested} ${where()}`);
}

/**
 * The same stop said of the work it stopped: "<subject> stopped by SIGTERM <where><rest>",
 * e.g. "seed 0: the line arm-256 -> arm-5000 stopped by SIGTERM at point 3 of 51; ...".
 */
export function stoppedWork(error: RunStopped, subject: string, rest: string): RunStopped {
  return new RunStopped(error.signal, `${subject} ${error.message}${rest}`);
}

/** `gradscope <the same arguments> --resume` (with --out DIR when it was not given). */
export function resumeCommand(runDir: string, argv: string[] = process.argv.slice(2)): string {
  const args = [...argv];
  if (!args.some((a) => a === '--out' || a.startsWith('--out='))) args.push('--out', runDir);
  if (!args.includes('--resume')) args.push('--resume');
  return ['gradscope', ...args.map(shellQuote)].join(' ');
}
