/**
 * `gradscope bench --tune`: measures the engine's settings on this machine and stores the
 * fastest per network family and batch size in the tuning file (src/engine/tuning.ts),
 * which the engine then uses. For F1 (fully connected) and C1 (convolutional) at batch
 * 256 and 5000 (16 and 64 with --quick), searched one coordinate at a time from the
 * built-in rules:
 * 1. the thread split: torch 1 or every core x BLAS 1 or every core (float32 Linear layers
 *    in oneDNN); then the linked BLAS for Linear layers instead, with 1 or every torch thread;
 * 2. the convolutions' memory format (convolutional networks): channels-last or contiguous;
 * 3. memory: freed memory kept in the process, or returned to the system.
 * Each stage times its candidates in ROUNDS interleaved rounds (candidate A, B, ..., then A,
 * B, ... again) on one network and data set, each time a warm-up step and then the median of
 * a few steps, and keeps the candidate with the lowest median over the rounds: the machine's
 * speed, which drifts by minutes, then weighs on every candidate alike. The incumbent is
 * timed again in each stage, beside its challengers.
 * The settings change speed only: results agree to float rounding.
 */
import * as os from 'os';
import type { Log } from '../core/log';
import type { NetworkSpec } from '../engine/layers';
import { returnFreeMemory, setThreads, type ThreadSettings } from '../engine/threads';
import { networkFamily, writeTuning, type TunedChoice } from '../engine/tuning';
import { c1 } from '../models/c1';
import { f1 } from '../models/f1';
import { medianMs, prepareGradscope } from './gradscope';

type Candidate = Required<Omit<ThreadSettings, 'source'>>;

const label = (c: Candidate): string =>
  `torch ${c.torch} / BLAS ${c.blas}, linear ${c.linear}, memory ${c.memory}, ${c.convolutionFormat}`;

/** Interleaved rounds of each stage: a candidate's time is its median over these. */
export const ROUNDS = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The fastest of `candidates` (ties: the earlier) and its median ms over ROUNDS rounds. */
async function fastest(
  candidates: Candidate[],
  once: () => Promise<void>,
  repeats: number,
  what: string,
  log: Log,
): Promise<{ best: Candidate; ms: number }> {
  const times: number[][] = candidates.map(() => []);
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, c] of candidates.entries()) {
      setThreads(c);
      await once(); // warm-up: the heap regrown after "returned", primitives made for this split
      const ms = await medianMs(once, repeats);
      times[i]!.push(ms);
      log.info(`tune: ${what} ${label(c)}, round ${round + 1}: ${ms.toFixed(1)} ms`);
    }
  const medians = times.map(median);
  const i = medians.indexOf(Math.min(...medians));
  return { best: candidates[i]!, ms: medians[i]! };
}

async function tuneOne(network: NetworkSpec, batch: number, log: Log): Promise<TunedChoice> {
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const start: Candidate = {
    torch: 1,
    blas: cores,
    memory: 'kept',
    convolutionFormat: 'channels-last',
    linear: 'onednn',
  };
  const counts = [...new Set([1, cores])];
  const convolutional = networkFamily(network) === 'convolutional';
  const repeats = batch >= 5000 && convolutional ? 1 : 3;
  const { run: once } = prepareGradscope({
    id: 'tune',
    network,
    kind: 'step',
    batch,
    chunk: batch,
    repeats,
  });
  const what = `${network.name} B=${batch}`;
  const splits = counts.flatMap((torch) => counts.map((blas) => ({ ...start, torch, blas })));
  let { best, ms } = await fastest(splits, once, repeats, what, log);
  const blasLinear = counts.map((torch): Candidate => ({
    ...best,
    linear: 'blas',
    torch,
    blas: cores,
  }));
  ({ best, ms } = await fastest([best, ...blasLinear], once, repeats, what, log));
  if (convolutional)
    ({ best, ms } = await fastest(
      [best, { ...best, convolutionFormat: 'contiguous' }],
      once,
      repeats,
      what,
      log,
    ));
  ({ best, ms } = await fastest([best, { ...best, memory: 'returned' }], once, repeats, what, log));
  return { family: networkFamily(network), batch, ...best, ms };
}

export async function runTune(
  options: { quick: boolean },
  log: Log,
): Promise<{ file: string; choices: TunedChoice[] }> {
  const batches = options.quick ? [16, 64] : [256, 5000];
  const choices: TunedChoice[] = [];
  for (const network of [f1(), c1()])
    for (const batch of batches) choices.push(await tuneOne(network, batch, log));
  setThreads();
  returnFreeMemory();
  const file = writeTuning(choices);
  if (!log.json) {
    const lines = [
      '| family | batch | torch threads | BLAS threads | linear | memory | convolution format | ms / step |',
      '| --- | ---: | ---: | ---: | --- | --- | --- | ---: |',
      ...choices.map(
        (c) =>
          `| ${c.family} | ${c.batch} | ${c.torch} | ${c.blas} | ${c.linear} | ${c.memory} | ${c.convolutionFormat} | ${c.ms.toFixed(1)} |`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n\nwritten: ${file}\n`);
  }
  return { file, choices };
}
