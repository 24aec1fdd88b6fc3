/**
 * The bench's cost of the live gradient noise scale (docs/mathematics.md, "The gradient noise
 * scale during training"): an F1 training epoch at B = 256 as `train` runs it (train/phase.ts:
 * every step, the test evaluation, metrics and the checkpoint) on random MNIST-shaped data of
 * MNIST's size, with the measurement off, at its default interval, at every step on the whole
 * batch (`--noise-scale-every 1`) and at every step on its first EVERY_STEP_EXAMPLES examples
 * (`--noise-scale-every 1 --noise-scale-examples 16`); the four alternated round by round (the
 * machine's speed drifts), each the median of its epochs. Targets (issue 29): at most 1.05x at
 * the default interval, 1.3x at every step.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { StudyData } from '../data/load';
import { Dataset } from '../engine/dataset';
import { synchronize } from '../engine/device';
import { Network } from '../engine/network';
import { Optimizer } from '../engine/optimizer';
import { setThreads, threadsFor } from '../engine/threads';
import { f1 } from '../models/f1';
import { DEFAULT_NOISE_SCALE_EVERY } from '../train/noise-scale';
import { trainPhase } from '../train/phase';
import { makeProgress } from '../train/progress';
import { median } from './gradscope';

export const NOISE_SCALE_ROW = `F1 training epoch with the live noise scale at its default interval`;

/** Examples a measurement takes in the bench's cheaper every-step setting. */
export const EVERY_STEP_EXAMPLES = 16;

export interface NoiseScaleRow {
  id: string;
  /** The default interval N (steps). */
  every: number;
  examples: number;
  offMs: number;
  defaultMs: number;
  /** Every step, the whole batch. */
  everyStepMs: number;
  /** Examples a measurement takes in everyStepSubsampleMs. */
  subsample: number;
  /** Every step, the batch's first `subsample` examples. */
  everyStepSubsampleMs: number;
}

function randomExamples(count: number, seed: number): Dataset {
  const pixels = new Uint8Array(count * 784);
  let x = seed;
  for (let i = 0; i < pixels.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pixels[i] = x & 255;
  }
  const labels = new Int32Array(count).map((_, i) => i % 10);
  return new Dataset('bench', 10, { pixels, labels, shape: [1, 28, 28] });
}

/** Epochs of F1 with the measurement off, every DEFAULT steps and every step, alternated. */
export async function noiseScaleBench(quick: boolean): Promise<NoiseScaleRow> {
  const examples = quick ? 2560 : 60000;
  const data: StudyData = {
    name: 'idx',
    classes: 10,
    train: randomExamples(examples, 17),
    test: randomExamples(Math.floor(examples / 6), 29),
    description: 'random MNIST-shaped bytes',
    files: [],
  };
  const spec = f1();
  const chosen = setThreads(threadsFor(spec, { batch: 256 }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-bench-noise-'));
  const progress = makeProgress({ quiet: true });
  const epoch = async (every: number, noiseScaleExamples?: number): Promise<number> => {
    const network = new Network(spec, { seed: 0 });
    const optimizer = new Optimizer(network, { kind: 'adam', lr: 1e-3 });
    const started = process.hrtime.bigint();
    await trainPhase({
      phase: 'train',
      network,
      optimizer,
      data,
      seed: 0,
      base: { batchSize: 256, learningRate: 1e-3 },
      schedule: { kind: 'constant' },
      start: { epoch: 0, step: 0, bestTestAccuracy: -1, epochsSinceBest: 0 },
      lastEpoch: 1,
      noiseScaleEvery: every,
      ...(noiseScaleExamples !== undefined ? { noiseScaleExamples } : {}),
      checkpointDir: path.join(dir, `${every}-${noiseScaleExamples ?? 'all'}`),
      metricsFile: path.join(dir, `metrics-${every}-${noiseScaleExamples ?? 'all'}.jsonl`),
      progress,
      extra: {},
    });
    synchronize();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const settings: [number, number | undefined][] = [
    [0, undefined],
    [DEFAULT_NOISE_SCALE_EVERY, undefined],
    [1, undefined],
    [1, EVERY_STEP_EXAMPLES],
  ];
  const times: number[][] = settings.map(() => []);
  try {
    await epoch(0); // warm-up, not timed
    for (let round = 0; round < 3; round++)
      for (const [i, [every, examples]] of settings.entries())
        times[i]!.push(await epoch(every, examples));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    setThreads(chosen);
  }
  const [offMs, defaultMs, everyStepMs, everyStepSubsampleMs] = times.map(median) as [
    number,
    number,
    number,
    number,
  ];
  return {
    id: NOISE_SCALE_ROW,
    every: DEFAULT_NOISE_SCALE_EVERY,
    examples,
    offMs,
    defaultMs,
    everyStepMs,
    subsample: EVERY_STEP_EXAMPLES,
    everyStepSubsampleMs,
  };
}

/** The markdown table of the measurement's cost (targets 1.05x and 1.3x). */
export function noiseScaleTable(r: NoiseScaleRow): string {
  const m = r.subsample;
  return [
    `| workload (${r.examples} examples, B = 256) | off ms | every ${r.every} steps ms | every step ms | every step, ${m} examples ms | default / off | every step / off | every step, ${m} examples / off |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${r.id} | ${r.offMs.toFixed(0)} | ${r.defaultMs.toFixed(0)} | ${r.everyStepMs.toFixed(0)} | ${r.everyStepSubsampleMs.toFixed(0)} | ${(r.defaultMs / r.offMs).toFixed(3)} | ${(r.everyStepMs / r.offMs).toFixed(2)} | ${(r.everyStepSubsampleMs / r.offMs).toFixed(2)} |`,
  ].join('\n');
}
