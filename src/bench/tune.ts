/**
 * `gradscope bench --tune`: measures the engine's settings on this machine and stores the
 * fastest per network family and batch size in the tuning file (src/engine/tuning.ts),
 * which the engine then uses. For F1 (fully connected) and C1 (convolutional) at batch
 * 256 and 5000 (16 and 64 with --quick), one training step per candidate after a warm-up,
 * searched one coordinate at a time from the built-in rules:
 * 1. the thread split, torch 1 or every core x BLAS 1 or every core, with float32 Linear
 *    layers multiplied by oneDNN and by the linked BLAS;
 * 2. the convolutions' memory format (convolutional networks): channels-last or contiguous;
 * 3. memory: freed memory kept in the process, or returned to the system.
 * The settings change speed only: results agree to float rounding.
 */
import * as os from 'os';
import type { Log } from '../cli/log';
import type { NetworkSpec } from '../engine/layers';
import { returnFreeMemory, setThreads, type ThreadSettings } from '../engine/threads';
import { networkFamily, writeTuning, type TunedChoice } from '../engine/tuning';
import { c1 } from '../models/c1';
import { f1 } from '../models/f1';
import { timeGradscope } from './gradscope';

type Candidate = Required<Omit<ThreadSettings, 'source'>>;

const label = (c: Candidate): string =>
  `torch ${c.torch} / BLAS ${c.blas}, linear ${c.linear}, memory ${c.memory}, ${c.convolutionFormat}`;

function measure(network: NetworkSpec, batch: number, c: Candidate, log: Log): number {
  setThreads(c);
  const repeats = batch >= 5000 && networkFamily(network) === 'convolutional' ? 1 : 3;
  const ms = timeGradscope({
    id: 'tune',
    network,
    kind: 'step',
    batch,
    chunk: batch,
    repeats,
  });
  log.info(`tune: ${network.name} B=${batch} ${label(c)}: ${ms.toFixed(1)} ms`);
  return ms;
}

function tuneOne(network: NetworkSpec, batch: number, log: Log): TunedChoice {
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  let best: Candidate = {
    torch: 1,
    blas: cores,
    memory: 'kept',
    convolutionFormat: 'channels-last',
    linear: 'onednn',
  };
  const counts = [...new Set([1, cores])];
  let bestMs = Infinity;
  const consider = (c: Candidate): void => {
    const ms = measure(network, batch, c, log);
    if (ms < bestMs) {
      bestMs = ms;
      best = c;
    }
  };
  for (const linear of ['onednn', 'blas'] as const)
    for (const torch of counts)
      for (const blas of counts) consider({ ...best, linear, torch, blas });
  if (networkFamily(network) === 'convolutional')
    consider({ ...best, convolutionFormat: 'contiguous' });
  consider({ ...best, memory: 'returned' });
  return { family: networkFamily(network), batch, ...best, ms: bestMs };
}

export function runTune(
  options: { quick: boolean },
  log: Log,
): { file: string; choices: TunedChoice[] } {
  const batches = options.quick ? [16, 64] : [256, 5000];
  const choices: TunedChoice[] = [];
  for (const network of [f1(), c1()])
    for (const batch of batches) choices.push(tuneOne(network, batch, log));
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
