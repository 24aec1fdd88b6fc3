/**
 * `gradscope analyze critical-batch RUN_DIR [--epochs 5,10,20] [--batch-sizes
 *   256,512,1000,2000,5000] [--examples N] [--lr-rule none|sqrt|linear] [--tolerance 0.01|1%]
 *   [--loss train|test] [--sample-size N]`
 *
 * Merrill et al.'s critical batch size along process 1 of a run, by branching from its
 * checkpoints (src/analysis/critical-batch.ts). Prints a table (or, with --json, the whole
 * result); writes RUN_DIR/critical-batch.json, each finished branch as it goes (a rerun
 * resumes), and the figure beside them, with the live B_simple when the run measured it.
 */
import { checkpointInfo } from '../engine/checkpoint-file';
import { threadsFor } from '../engine/threads';
import {
  measureCriticalBatch,
  DEFAULT_SAMPLE_SIZE,
  type CriticalBatchResult,
} from '../analysis/critical-batch';
import { PAPER_TOLERANCE, type Tolerance } from '../analysis/critical-batch-size';
import { expected, GradscopeInputError } from '../core/errors';
import { criticalBatchFigure } from '../report/critical-batch-figure';
import { writeFigure } from '../report/write-figure';
import { epochFiles } from '../store/checkpoint-files';
import { criticalBatchDir } from '../store/critical-batch';
import { noiseScaleRecords, readMetrics } from '../store/metrics';
import { metricsFile, phaseCheckpointDir } from '../store/run-paths';
import { makeProgress, type Progress } from '../train/progress';
import { watchStopSignals } from '../train/stop';
import { absent, choice, command, integer, list, parsed, type CommandValues } from './command';
import { applyThreads } from './options';
import type { Log } from '../core/log';

/** The grid unless told: the study's batch sizes with 512 between 256 and 1000. */
const GRID = [256, 512, 1000, 2000, 5000];

/** --tolerance: nats (0.01), or a share of the smaller branch's loss (1%). */
export function parseTolerance(text: string, option: string): Tolerance {
  const relative = text.endsWith('%');
  const value = Number(relative ? text.slice(0, -1) : text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw expected('a loss difference at least 0 (0.01) or a percentage (1%)', option, text);
  return relative ? { kind: 'relative', value: value / 100 } : { kind: 'absolute', value };
}

function describeTolerance(t: Tolerance): string {
  return t.kind === 'absolute' ? `${t.value} nats` : `${t.value * 100}% of the loss`;
}

/** The table on stdout: one row per checkpoint, one loss column per batch size. */
function table(result: CriticalBatchResult): string {
  const sizes = result.batchSizes;
  const lines = [
    `Critical batch size by branching (Merrill et al. 2025): ${result.lossKind === 'train' ? `training loss on a ${result.sampleSize}-example sample` : 'test loss'} after ${result.examples} examples per branch; learning-rate rule ${result.lrRule}; tolerance ${describeTolerance(result.tolerance)}`,
    '',
    `| epoch | start loss | ${sizes.map((b) => `B = ${b}`).join(' | ')} | critical B | live B_simple |`,
    `| ---: | ---: | ${sizes.map(() => '---:').join(' | ')} | ---: | ---: |`,
  ];
  for (const p of result.points) {
    const start = result.lossKind === 'train' ? p.startTrainSampleLoss : p.startTestLoss;
    const losses = sizes.map((b) => {
      const branch = p.branches.find((x) => x.batchSize === b)!;
      return branch.loss === null ? 'diverged' : branch.loss.toFixed(5);
    });
    const live = p.liveNoiseScale === undefined ? '' : p.liveNoiseScale.toPrecision(4);
    lines.push(
      `| ${p.epoch} | ${start.toFixed(5)} | ${losses.join(' | ')} | ${p.criticalBatch} | ${live} |`,
    );
  }
  return lines.join('\n') + '\n';
}

async function criticalBatchRun(
  values: CommandValues<typeof criticalBatchOptions>,
  positionals: string[],
  log: Log,
): Promise<CriticalBatchResult> {
  if (positionals.length !== 1)
    throw new GradscopeInputError(
      `gradscope analyze critical-batch needs one run directory (received ${positionals.length})`,
    );
  const runDir = positionals[0]!;
  // the threads for the network of the run's first checkpoint (both phases' folders tried)
  const first = ['process1', 'train']
    .flatMap((phase) => epochFiles(phaseCheckpointDir(runDir, phase)))
    .at(0);
  if (first) applyThreads(values.threads, threadsFor(checkpointInfo(first).network));
  watchStopSignals();
  const progress: Progress = makeProgress({ quiet: log.quiet });
  const result = await measureCriticalBatch(runDir, {
    ...(values.epochs ? { epochs: values.epochs } : {}),
    batchSizes: values['batch-sizes'],
    ...(values.examples !== undefined ? { examples: values.examples } : {}),
    ...(values['lr-rule'] !== undefined ? { lrRule: values['lr-rule'] } : {}),
    tolerance: values.tolerance ?? PAPER_TOLERANCE,
    loss: values.loss,
    ...(values['sample-size'] !== undefined ? { sampleSize: values['sample-size'] } : {}),
    seed: values.seed ?? 0,
    progress,
  });
  const noise = noiseScaleRecords(readMetrics(metricsFile(runDir)), result.phase).map(
    (r): [number, number] => [r.atEpoch, r.simpleNoiseScale],
  );
  const figure = writeFigure(
    criticalBatchDir(runDir),
    'critical-batch',
    criticalBatchFigure(result, noise),
  );
  log.info(`written: ${runDir}/critical-batch.json, ${figure.svg}, ${figure.png}`);
  if (!log.json) process.stdout.write(table(result));
  return result;
}

const criticalBatchOptions = {
  epochs: list(
    'LIST',
    absent('every saved checkpoint of process 1'),
    "process 1's epochs whose checkpoints the branches start from",
  ),
  'batch-sizes': list('LIST', GRID, 'the batch sizes of the branches, increasing'),
  examples: integer(
    'N',
    absent('one epoch: the training set size'),
    'training examples each branch trains on (at least the largest batch size)',
  ),
  'lr-rule': choice(
    ['none', 'sqrt', 'linear'],
    absent("sqrt for Adam, linear for SGD (the paper's)"),
    "each branch's learning rate: the checkpoint's, times sqrt(B/B0) or B/B0",
  ),
  tolerance: parsed(
    'X|P%',
    "0.01 (nats; the paper's)",
    'how much higher a larger batch size may end and still count as critical: nats, or a percentage of the loss',
    parseTolerance,
  ),
  loss: choice(
    ['train', 'test'],
    'train',
    'the loss compared: on a fixed seeded training sample (population mode), or the test set',
  ),
  'sample-size': integer(
    'N',
    absent(`${DEFAULT_SAMPLE_SIZE} (or the whole training set, if smaller)`),
    'training examples of the evaluation sample (seeded by --seed)',
  ),
};

export const criticalBatchCommand = command({
  summary:
    'the critical batch size along process 1 by branching (Merrill et al. 2025), beside the live noise scale',
  operands: 'RUN_DIR',
  example:
    'gradscope analyze critical-batch runs/f1 --epochs 5,10,20 --batch-sizes 256,512,1000,2000,5000 --examples 60000',
  globals: ['threads', 'seed', 'json', 'quiet', 'device', 'deterministic'],
  options: criticalBatchOptions,
  run: (values, positionals, log) => criticalBatchRun(values, positionals, log),
});
