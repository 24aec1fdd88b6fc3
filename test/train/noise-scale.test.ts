/**
 * The live gradient noise scale (docs/mathematics.md, "The gradient noise scale during
 * training"): training with it on is bit-identical to training with it off (weights, batch-norm
 * buffers, optimizer state, torch's RNG); the estimator against a brute-force float64
 * computation from per-example gradients (one `gradient` call per example): the formulas'
 * identity for one batch, exact unbiasedness over every batch of a small population, and the
 * mean over many random batches within its standard error; the records in metrics.jsonl and
 * TensorBoard; bad values of the option and the config field refused in one line.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import type { StudyData } from '../../src/data/load';
import type { NetworkSpec } from '../../src/engine/layers';
import { Network } from '../../src/engine/network';
import { Optimizer } from '../../src/engine/optimizer';
import { readSafetensors } from '../../src/engine/safetensors';
import { setThreads } from '../../src/engine/threads';
import { checkpointName, trainingStateFile } from '../../src/store/checkpoint-files';
import {
  noiseScaleRecords,
  readMetrics,
  truncateMetrics,
  type EpochRecord,
} from '../../src/store/metrics';
import { checkTrainConfig, defaultTrainConfig, type TrainConfig } from '../../src/train/config';
import { readEventDir } from '../../src/train/event-file';
import { GradscopeInputError } from '../../src/core/errors';
import { exampleSquaredNorms } from '../../src/engine/example-norms';
import { LiveNoiseScale } from '../../src/train/live-noise-scale';
import {
  noiseEstimate,
  simpleNoiseScale,
  updateAverages,
  type NoiseAverages,
} from '../../src/train/noise-scale';
import { makeProgress } from '../../src/train/progress';
import { runTraining } from '../../src/train/run';
import { loadTrainingState, saveTrainingState } from '../../src/train/training-state';
import { gradscope, writeNetworkFile } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { random, randomDataset, randomStudyData, scrambleStatistics } from '../fixtures/helpers';
import { mnistNetwork } from '../fixtures/networks';

const quiet = makeProgress({ quiet: true });

/** Batch norm (running statistics) and dropout (torch's RNG): both would show a wrong mode. */
const small: NetworkSpec = mnistNetwork('small', {
  out: 16,
  bias: false,
  batchNorm: true,
  dropout: 0.3,
});

async function train(config: Partial<TrainConfig>, data: StudyData): Promise<string> {
  const runDir = path.join(tempDir('gradscope-noise-'), 'run');
  setThreads({ torch: 1, blas: 1 });
  await runTraining(
    {
      ...defaultTrainConfig(),
      network: writeNetworkFile(tempDir('gradscope-net-'), small),
      data: 'in-memory',
      ...config,
    },
    runDir,
    { resume: false, progress: quiet, data },
  );
  return runDir;
}

/** Every tensor of the newest checkpoint of `phase` and of its training state, by name. */
function finalState(runDir: string, phase: string): Map<string, unknown> {
  const dir = path.join(runDir, 'checkpoints', phase);
  const last = fs
    .readdirSync(dir)
    .filter((n) => /^epoch-\d+\.safetensors$/.test(n))
    .sort()
    .pop()!;
  const out = new Map<string, unknown>();
  for (const file of [last, last.replace('.safetensors', '.train.safetensors')])
    for (const [name, t] of readSafetensors(path.join(dir, file)).tensors)
      out.set(`${file}:${name}`, t.data);
  return out;
}

test('training with the live noise scale at every step is bit-identical to training without it', async () => {
  const data = randomStudyData(240, 40, [1, 28, 28], 10, 11);
  const config = {
    batchSize: 24,
    epochs: 2,
    seed: 3,
    piggyback: { arms: [24, 80], epochs: 1 },
  } satisfies Partial<TrainConfig>;
  const off = await train({ ...config, noiseScaleEvery: 0 }, data);
  const on = await train({ ...config, noiseScaleEvery: 1 }, data);
  // per-example norms (Linear and batch norm), on the whole batch and on its first 5
  const sub = await train({ ...config, noiseScaleEvery: 1, noiseScaleExamples: 5 }, data);
  assert.equal(noiseScaleRecords(readMetrics(path.join(off, 'metrics.jsonl'))).length, 0);
  const records = noiseScaleRecords(readMetrics(path.join(on, 'metrics.jsonl')));
  // process 1: 2 epochs of 10 steps; arm-24: 10 steps; arm-80: 3 steps
  assert.deepEqual(
    ['process1', 'arm-24', 'arm-80'].map((p) => records.filter((r) => r.phase === p).length),
    [20, 10, 3],
  );
  assert.ok(records.every((r) => r.chunkSize === 1 && r.chunks === r.batchSize));
  const subRecords = noiseScaleRecords(readMetrics(path.join(sub, 'metrics.jsonl')));
  assert.equal(subRecords.length, 33);
  assert.ok(subRecords.every((r) => r.chunkSize === 1 && r.chunks === 5));
  for (const [phase, run] of ['process1', 'arm-24', 'arm-80'].flatMap((p) => [
    [p, on],
    [p, sub],
  ])) {
    const want = finalState(off, phase!);
    const got = finalState(run!, phase!);
    assert.ok([...want.keys()].some((k) => k.includes('rng.torch')));
    assert.ok([...want.keys()].some((k) => k.includes('running_var')));
    assert.ok([...want.keys()].some((k) => k.includes('exp_avg_sq')));
    assert.deepEqual([...got.keys()], [...want.keys()]);
    for (const [name, tensor] of want) assert.deepEqual(got.get(name), tensor, `${phase} ${name}`);
  }
  const epochs = (run: string) =>
    readMetrics(path.join(run, 'metrics.jsonl'))
      .filter((r): r is EpochRecord => r.kind === 'epoch')
      .map((r) => [r.phase, r.epoch, r.trainLoss, r.testLoss]);
  assert.deepEqual(epochs(on), epochs(off));
  assert.deepEqual(epochs(sub), epochs(off));
});

test('the measurements land every N steps in metrics.jsonl and TensorBoard, averages carried into the arms', async () => {
  const data = randomStudyData(240, 40, [1, 28, 28], 10, 12);
  const run = await train(
    { batchSize: 24, epochs: 2, seed: 4, piggyback: { arms: [48], epochs: 1 }, noiseScaleEvery: 3 },
    data,
  );
  const records = noiseScaleRecords(readMetrics(path.join(run, 'metrics.jsonl')));
  // process 1 steps 0..19, the arm's 20..24: every third one
  assert.deepEqual(
    records.map((r) => [r.phase, r.step, r.epoch]),
    [0, 3, 6, 9, 12, 15, 18, 21, 24].map((s) => [
      s < 20 ? 'process1' : 'arm-48',
      s,
      s < 10 ? 1 : s < 20 ? 2 : 3,
    ]),
  );
  // the averages as mathematics.md defines them, recomputed from the single estimates: each
  // divided by its own s = |G_small|^2 = |G|^2 + (1/b - 1/n) tr(Sigma)
  let a = { gradientSquared: 0, trace: 0, weight: 0 };
  for (const r of records) {
    // per example (the network's layers are Linear and batch norm): chunks of 1
    assert.equal(r.chunks, r.batchSize);
    assert.equal(r.chunkSize, 1);
    assert.ok(Number.isFinite(r.gradientSquared) && r.trace > 0);
    assert.equal(r.average, 'scale-free');
    const s = r.gradientSquared + (1 / r.chunkSize - 1 / 240) * r.trace;
    assert.ok(Math.abs(r.scale! - s) <= 1e-9 * s, `scale ${r.scale} against ${s}`);
    const keep = (1 - 1 / r.emaSteps) ** 3;
    a = {
      gradientSquared: keep * a.gradientSquared + ((1 - keep) * r.gradientSquared) / s,
      trace: keep * a.trace + ((1 - keep) * r.trace) / s,
      weight: keep * a.weight + 1 - keep,
    };
    assert.ok(
      Math.abs(r.simpleNoiseScale - a.trace / a.gradientSquared) <=
        1e-9 * Math.abs(r.simpleNoiseScale),
    );
    assert.ok(Math.abs(r.traceAverage - a.trace / a.weight) <= 1e-9 * r.traceAverage);
    const n = 240;
    const want = (1 / r.batchSize - 1 / n) * r.simpleNoiseScale;
    assert.ok(Math.abs(r.normTest - want) <= 1e-12 * Math.abs(want));
  }
  for (const phase of ['process1', 'arm-48']) {
    const steps = readEventDir(path.join(run, 'tensorboard', phase))
      .filter((e) => e.summary?.value.some((v) => v.tag === 'noise_scale/b_simple'))
      .map((e) => e.step ?? 0); // protobuf leaves a step of 0 out
    assert.deepEqual(
      steps,
      records.filter((r) => r.phase === phase).map((r) => r.step),
    );
  }
});

test('a resume from a checkpoint holding the older plain averages restarts them, in one line', async () => {
  const data = randomStudyData(240, 40, [1, 28, 28], 10, 12);
  const config: TrainConfig = {
    ...defaultTrainConfig(),
    network: writeNetworkFile(tempDir('gradscope-net-'), small),
    data: 'in-memory',
    batchSize: 24,
    epochs: 2,
    seed: 4,
    noiseScaleEvery: 3,
  };
  const run = path.join(tempDir('gradscope-noise-'), 'run');
  setThreads({ torch: 1, blas: 1 });
  await runTraining(config, run, { resume: false, progress: quiet, data });
  // as if an older gradscope wrote epoch 1 and was killed in epoch 2: its checkpoint holds the
  // plain averages (no `average` field), epoch 2 left no checkpoint and no end
  const dir = path.join(run, 'checkpoints', 'train'); // a run without arms: one phase, train
  const epoch1 = checkpointName(dir, 1);
  const epoch2 = checkpointName(dir, 2);
  const net = new Network(small, { seed: 4 });
  const optimizer = new Optimizer(net, defaultTrainConfig().optimizer);
  const stored = loadTrainingState(epoch1, optimizer).extra as {
    state: { noiseScale: Record<string, unknown> };
  };
  const { average, ...plain } = stored.state.noiseScale;
  assert.equal(average, 'scale-free');
  saveTrainingState(epoch1, optimizer, {
    ...stored,
    state: { ...stored.state, noiseScale: { ...plain, trace: 5000, gradientSquared: 1 } },
  });
  fs.rmSync(epoch2);
  fs.rmSync(trainingStateFile(epoch2));
  const metrics = path.join(run, 'metrics.jsonl');
  truncateMetrics(metrics, (r) => Number(r.epoch) <= 1 && r.kind !== 'status');
  const lines: string[] = [];
  const progress = { ...quiet, line: (text: string) => lines.push(text) };
  await runTraining(config, run, { resume: true, progress, data });
  const restart = lines.filter((l) => /moving averages restart/.test(l));
  assert.equal(restart.length, 1, lines.join('\n'));
  assert.match(
    restart[0]!,
    /train: .* at epoch 1 \(step 10\): the checkpoint holds averages of the older kind/,
  );
  // epoch 2's measurements (steps 12, 15, 18) start a fresh scale-free average: the first is
  // its own single ratio, not the old sums' 5000
  const resumed = noiseScaleRecords(readMetrics(metrics)).filter((r) => r.epoch === 2);
  assert.deepEqual(
    resumed.map((r) => r.step),
    [12, 15, 18],
  );
  const first = resumed[0]!;
  assert.equal(first.average, 'scale-free');
  assert.ok(
    Math.abs(first.simpleNoiseScale - first.trace / first.gradientSquared) <=
      1e-9 * Math.abs(first.simpleNoiseScale),
  );
});

/** The population: per-example gradients x_i (float64), |G|^2 and tr(Sigma), divisor n - 1. */
function population(network: Network, data: ReturnType<typeof randomDataset>) {
  const n = data.size;
  const x: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    network.gradient(data, Int32Array.of(i), { mode: 'population' });
    x.push(Float64Array.from(network.readGradients()));
  }
  const p = network.parameterCount;
  const mean = new Float64Array(p);
  for (const xi of x) for (let e = 0; e < p; e++) mean[e]! += xi[e]! / n;
  let trace = 0;
  for (const xi of x) for (let e = 0; e < p; e++) trace += (xi[e]! - mean[e]!) ** 2 / (n - 1);
  return { x, gradientSquared: squaredNorm(mean), trace };
}

function squaredNorm(v: Float64Array): number {
  return v.reduce((s, e) => s + e * e, 0);
}

/** The mean of the per-example gradients at `indices`. */
function meanOf(x: Float64Array[], indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x[0]!.length);
  for (let j = 0; j < indices.length; j++) {
    const xi = x[indices[j]!]!;
    for (let e = 0; e < out.length; e++) out[e]! += xi[e]! / indices.length;
  }
  return out;
}

function tinyNetwork(seed: number): Network {
  const net = new Network(mnistNetwork('tiny', { out: 5, batchNorm: true }), {
    seed,
    dtype: 'float64',
  });
  scrambleStatistics(net.statistics, net.statisticsTable, seed);
  return net;
}

/** A convolution (no per-example norms: the chunk estimator) and batch norm, in float64. */
function tinyConvolution(seed: number): Network {
  const net = new Network(
    {
      name: 'tiny-conv',
      input: [1, 28, 28],
      classes: 10,
      layers: [
        { type: 'conv2d', out: 2, kernel: 3, stride: 3, bias: true },
        { type: 'batchnorm2d' },
        { type: 'relu' },
        { type: 'flatten' },
        { type: 'linear', out: 10 },
      ],
    },
    { seed, dtype: 'float64' },
  );
  scrambleStatistics(net.statistics, net.statisticsTable, seed);
  return net;
}

const close = (got: number, want: number, what: string, tolerance = 1e-10) =>
  assert.ok(Math.abs(got - want) <= tolerance * Math.abs(want), `${what}: ${got} against ${want}`);

test('one measurement in chunks (a convolution): the chunk norms and the estimates equal a float64 computation from per-example gradients', () => {
  setThreads({ torch: 1, blas: 1 });
  const data = randomDataset(30, [1, 28, 28], 10, 21);
  const net = tinyConvolution(2);
  const pop = population(net, data);
  const batch = Int32Array.from([7, 3, 29, 11, 0, 18, 22, 5, 14, 9, 26, 1, 16]); // 13: k b = 12
  const live = new LiveNoiseScale(net, 4);
  assert.equal(live.perExample, false);
  const m = live.measure(data, batch)!;
  assert.deepEqual([m.chunks, m.chunkSize], [4, 3]);
  const chunks = [0, 1, 2, 3].map((j) => meanOf(pop.x, batch.subarray(3 * j, 3 * j + 3)));
  const big = meanOf(pop.x, batch.subarray(0, 12));
  close(m.bigSquared, squaredNorm(big), '|G_B|^2');
  close(m.smallSquared, chunks.reduce((s, g) => s + squaredNorm(g), 0) / 4, '|G_b|^2');
  // tr(Sigma) is b times the chunk means' sample variance; |G|^2 is |G_B|^2 less the
  // without-replacement variance (1/B - 1/n) tr(Sigma) of G_B
  const variance =
    chunks.reduce((s, g) => s + squaredNorm(g.map((e, i) => e - big[i]!)), 0) / (4 - 1);
  const e = noiseEstimate(m, 30);
  close(e.trace, 3 * variance, 'tr(Sigma)');
  close(e.gradientSquared, squaredNorm(big) - (1 / 12 - 1 / 30) * 3 * variance, '|G|^2');
  // the scale the average divides by: the chunks' mean squared norm
  close(e.scale, chunks.reduce((s, g) => s + squaredNorm(g), 0) / 4, 's = |G_b|^2');
  // a subsample: the first 6 examples in 4 chunks of 1
  const sub = new LiveNoiseScale(net, 4, 6).measure(data, batch)!;
  assert.deepEqual([sub.chunks, sub.chunkSize], [4, 1]);
  close(sub.bigSquared, squaredNorm(meanOf(pop.x, batch.subarray(0, 4))), 'subsample |G_B|^2');
});

test('exampleSquaredNorms refuses bad input in one line naming it: empty or non-Int32 indices, an index outside the data, a bad chunk, a convolution', () => {
  setThreads({ torch: 1, blas: 1 });
  const data = randomDataset(30, [1, 28, 28], 10, 21);
  const net = tinyNetwork(2);
  const one = (f: () => unknown, message: RegExp) =>
    assert.throws(
      f,
      (e: Error) =>
        e instanceof GradscopeInputError && message.test(e.message) && !e.message.includes('\n'),
    );
  one(() => exampleSquaredNorms(net, data, new Int32Array(0)), /non-empty Int32Array for indices/);
  one(
    () => exampleSquaredNorms(net, data, [1, 2] as unknown as Int32Array),
    /non-empty Int32Array for indices/,
  );
  one(
    () => exampleSquaredNorms(net, data, Int32Array.from([1, 30])),
    /index 30 at position 1 is outside dataset/,
  );
  for (const chunk of [0, 1.5, -4])
    one(
      () => exampleSquaredNorms(net, data, Int32Array.from([1, 2]), { chunk }),
      /positive integer for chunk/,
    );
  one(
    () => exampleSquaredNorms(tinyConvolution(2), data, Int32Array.from([1, 2])),
    /Linear and batch-norm layers/,
  );
});

test('one measurement per example (Linear and batch norm): each |g_i|^2, |mean g_i|^2 and the estimates equal a float64 computation from per-example gradients', () => {
  setThreads({ torch: 1, blas: 1 });
  const data = randomDataset(30, [1, 28, 28], 10, 21);
  for (const net of [tinyNetwork(2), new Network(small, { seed: 5, dtype: 'float64' })]) {
    scrambleStatistics(net.statistics, net.statisticsTable, 7);
    const pop = population(net, data);
    const batch = Int32Array.from([7, 3, 29, 11, 0, 18, 22, 5, 14, 9, 26, 1, 16]);
    // in one pass (Gram matrices) and in passes of 5 (summed gradients)
    for (const chunk of [undefined, 5]) {
      const norms = exampleSquaredNorms(net, data, batch, chunk ? { chunk } : {});
      batch.forEach((i, r) => close(norms.examples[r]!, squaredNorm(pop.x[i]!), `|g_${i}|^2`));
      close(norms.meanSquared, squaredNorm(meanOf(pop.x, batch)), `|mean g_i|^2 (chunk ${chunk})`);
    }
    const live = new LiveNoiseScale(net, 4);
    assert.equal(live.perExample, true);
    const m = live.measure(data, batch)!;
    assert.deepEqual([m.chunks, m.chunkSize], [13, 1]);
    // tr(Sigma) is the sample variance of the per-example gradients (divisor m - 1); |G|^2 is
    // |mean g_i|^2 less the without-replacement variance (1/m - 1/n) tr(Sigma) of the mean
    const mean = meanOf(pop.x, batch);
    const variance =
      [...batch].reduce((s, i) => s + squaredNorm(pop.x[i]!.map((e, k) => e - mean[k]!)), 0) /
      (13 - 1);
    const e = noiseEstimate(m, 30);
    close(e.trace, variance, 'tr(Sigma)', 1e-9);
    close(e.gradientSquared, squaredNorm(mean) - (1 / 13 - 1 / 30) * variance, '|G|^2', 1e-9);
    // a subsample of the first 5
    const sub = new LiveNoiseScale(net, 4, 5).measure(data, batch)!;
    assert.deepEqual([sub.chunks, sub.chunkSize], [5, 1]);
    close(sub.bigSquared, squaredNorm(meanOf(pop.x, batch.subarray(0, 5))), 'subsample');
    // the measurement changes nothing in the network
    const before = [net.readGradients(), net.statistics.slice()];
    live.measure(data, batch);
    assert.deepEqual([net.readGradients(), net.statistics.slice()], before);
  }
});

/** Every subset of `size` of 0..n-1. */
function* subsets(n: number, size: number, from = 0, chosen: number[] = []): Generator<number[]> {
  if (chosen.length === size) {
    yield chosen;
    return;
  }
  for (let i = from; i <= n - (size - chosen.length); i++)
    yield* subsets(n, size, i + 1, [...chosen, i]);
}

test('over every batch of a small population the estimates average exactly to |G|^2 and tr(Sigma)', () => {
  setThreads({ torch: 1, blas: 1 });
  const n = 12;
  const data = randomDataset(n, [1, 28, 28], 10, 22);
  const net = tinyNetwork(3);
  const pop = population(net, data);
  // a batch of B = 6 in k = 3 chunks of b = 2: each chunk and the batch are uniform subsets of
  // their sizes, so E|G_b|^2 and E|G_B|^2 are the means over all subsets of b and of B
  const meanSquared = (size: number) => {
    let sum = 0;
    let count = 0;
    for (const s of subsets(n, size)) {
      sum += squaredNorm(meanOf(pop.x, s));
      count += 1;
    }
    return sum / count;
  };
  const expected = noiseEstimate(
    { bigSquared: meanSquared(6), smallSquared: meanSquared(2), chunks: 3, chunkSize: 2 },
    n,
  );
  close(expected.gradientSquared, pop.gradientSquared, 'E |G|^2 estimate', 1e-9);
  close(expected.trace, pop.trace, 'E tr(Sigma) estimate', 1e-9);
});

test('over many random batches the measured estimates average to |G|^2 and tr(Sigma) within 4 standard errors', () => {
  setThreads({ torch: 1, blas: 1 });
  const n = 40;
  const data = randomDataset(n, [1, 28, 28], 10, 23);
  const net = tinyNetwork(4);
  const pop = population(net, data);
  const live = new LiveNoiseScale(net, 4);
  const r = random(99);
  const draws = 3000;
  const g: number[] = [];
  const t: number[] = [];
  for (let d = 0; d < draws; d++) {
    // a uniform batch of 12 distinct examples (a partial Fisher-Yates shuffle)
    const order = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < 12; i++) {
      const j = i + Math.floor(r() * (n - i));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const e = noiseEstimate(live.measure(data, order.subarray(0, 12))!, n);
    g.push(e.gradientSquared);
    t.push(e.trace);
  }
  for (const [values, want, what] of [
    [g, pop.gradientSquared, '|G|^2'],
    [t, pop.trace, 'tr(Sigma)'],
  ] as const) {
    const mean = values.reduce((s, v) => s + v, 0) / draws;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (draws - 1));
    const z = (mean - want) / (sd / Math.sqrt(draws));
    assert.ok(Math.abs(z) < 4, `${what}: mean ${mean}, exact ${want}, z = ${z.toFixed(2)}`);
  }
});

test('B_simple is the ratio of the scale-free moving averages; a measurement every N steps weighs as N steps', () => {
  const estimates = [
    { gradientSquared: 2, trace: 10, scale: 2.5 },
    { gradientSquared: -1, trace: 30, scale: 0.5 },
    { gradientSquared: 4, trace: 20, scale: 8 },
  ];
  let a: NoiseAverages = { average: 'scale-free', gradientSquared: 0, trace: 0, weight: 0 };
  for (const e of estimates) a = updateAverages(a, e, 5, 10);
  // the same as a per-step average of length 10 that holds each estimate, divided by its
  // scale, for 5 steps
  let b = { g: 0, t: 0, w: 0 };
  for (const e of estimates)
    for (let s = 0; s < 5; s++)
      b = {
        g: 0.9 * b.g + (0.1 * e.gradientSquared) / e.scale,
        t: 0.9 * b.t + (0.1 * e.trace) / e.scale,
        w: 0.9 * b.w + 0.1,
      };
  assert.ok(Math.abs(a.gradientSquared - b.g) < 1e-12);
  assert.ok(Math.abs(a.trace - b.t) < 1e-12);
  assert.ok(Math.abs(a.weight - b.w) < 1e-12);
  assert.ok(Math.abs(simpleNoiseScale(a) - b.t / b.g) < 1e-12);
});

test('a bad --noise-scale-every or noiseScaleEvery is refused in one line, exit 2', () => {
  for (const bad of ['-1', 'x', '1.5']) {
    const r = gradscope('train', '--noise-scale-every', bad, '--epochs', '1', '--quiet');
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--noise-scale-every/);
  }
  for (const bad of [-1, 2.5, '10'])
    assert.throws(
      () => checkTrainConfig({ ...defaultTrainConfig(), noiseScaleEvery: bad as number }),
      /noise scale interval/,
    );
});

test('a bad --noise-scale-examples or noiseScaleExamples is refused in one line, exit 2', () => {
  for (const bad of ['1', '0', 'x', '2.5']) {
    const r = gradscope('train', '--noise-scale-examples', bad, '--epochs', '1', '--quiet');
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--noise-scale-examples/);
  }
  for (const bad of [1, 0, 2.5, '10'])
    assert.throws(
      () => checkTrainConfig({ ...defaultTrainConfig(), noiseScaleExamples: bad as number }),
      /Expected an integer from 2 to \d+ for noiseScaleExamples/,
    );
  checkTrainConfig({ ...defaultTrainConfig(), noiseScaleExamples: 2 });
});
