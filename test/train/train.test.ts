/**
 * Training: resume after SIGKILL is bit-exact (a real child process, a real kill), the live
 * noise scale's records too;
 * Smoothout at amplitude 0 is plain training, and its perturbation lies in [-a, a]
 * and is gone before the update; the increasing-batch schedule changes B at exactly
 * the configured epochs with every example visited once per epoch; divergence stops
 * with a status and keeps the last good checkpoint; piggybacked arms branch from
 * one state.
 */
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import type { StudyData } from '../../src/data/load';
import type { NetworkSpec } from '../../src/engine/layers';
import { Network } from '../../src/engine/network';
import { Optimizer } from '../../src/engine/optimizer';
import { readSafetensors } from '../../src/engine/safetensors';
import { setThreads } from '../../src/engine/threads';
import { defaultTrainConfig, type TrainConfig } from '../../src/train/config';
import {
  noiseScaleRecords,
  readMetrics,
  type EpochRecord,
  type StatusRecord,
} from '../../src/store/metrics';
import { makeProgress } from '../../src/train/progress';
import { runTraining } from '../../src/train/run';
import { epochSettings } from '../../src/train/schedule';
import { DEFAULT_NOISE_SCALE_EVERY } from '../../src/train/noise-scale';
import { Smoothout } from '../../src/train/smoothout';
import { cli, writeNetworkFile } from '../fixtures/cli-fixtures';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { randomDataset, randomStudyData } from '../fixtures/helpers';
import { mnistNetwork } from '../fixtures/networks';

const quiet = makeProgress({ quiet: true });

const small: NetworkSpec = mnistNetwork('small', {
  out: 24,
  bias: false,
  batchNorm: true,
  dropout: 0.2,
});

const smallNetworkFile = (): string => writeNetworkFile(tempDir('gradscope-net-'), small);

const studyData = (train: number, testCount: number): StudyData =>
  randomStudyData(train, testCount, [1, 28, 28], 10, 3);

function finalParameters(runDir: string, phase: string): Float32Array {
  const dir = path.join(runDir, 'checkpoints', phase);
  const last = fs
    .readdirSync(dir)
    .filter((n) => /^epoch-\d+\.safetensors$/.test(n))
    .sort()
    .pop()!;
  const file = readSafetensors(path.join(dir, last));
  const parts = file.order.filter((n) => !n.includes('running') && !n.includes('batches'));
  const out: number[] = [];
  for (const name of parts) out.push(...(file.tensors.get(name)!.data as Float32Array));
  return Float32Array.from(out);
}

async function train(
  config: Partial<TrainConfig>,
  data: StudyData,
): Promise<{ runDir: string; records: ReturnType<typeof readMetrics> }> {
  const runDir = path.join(tempDir('gradscope-run-'), 'run');
  setThreads({ torch: 1, blas: 1 });
  await runTraining(
    { ...defaultTrainConfig(), network: smallNetworkFile(), data: 'in-memory', ...config },
    runDir,
    {
      resume: false,
      progress: quiet,
      data,
    },
  );
  return { runDir, records: readMetrics(path.join(runDir, 'metrics.jsonl')) };
}

test('a run killed with SIGKILL mid-epoch and resumed ends bit-identical to an uninterrupted one', async () => {
  const dataDir = tempDir('gradscope-idx-');
  writeIdxFolder(dataDir, false, [3000, 200]);
  const network = smallNetworkFile();
  const args = (out: string) => [
    cli,
    'train',
    '--network',
    network,
    '--data',
    dataDir,
    '--batch-size',
    '8',
    '--epochs',
    '6',
    '--threads',
    '1',
    '--seed',
    '5',
    '--quiet',
    '--out',
    out,
  ];
  const root = tempDir('gradscope-kill-');
  const whole = path.join(root, 'whole');
  const killed = path.join(root, 'killed');
  const run = (a: string[]) =>
    new Promise<number | null>((resolve) =>
      spawn(process.execPath, a, { stdio: 'ignore' }).on('exit', resolve),
    );
  assert.equal(await run(args(whole)), 0);

  // Start again and kill it once two epochs are done, at a moment inside the third.
  const child = spawn(process.execPath, args(killed), { stdio: 'ignore' });
  const metrics = path.join(killed, 'metrics.jsonl');
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      const epochs = readMetrics(metrics).filter((r) => r.kind === 'epoch').length;
      if (epochs >= 2) {
        clearInterval(poll);
        setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 40);
      }
    }, 5);
  });
  await new Promise((resolve) => child.on('exit', resolve));
  const before = readMetrics(metrics).filter((r) => r.kind === 'epoch').length;
  assert.ok(before >= 2 && before < 6, `killed after ${before} epochs`);

  assert.equal(await run([...args(killed), '--resume']), 0);
  assert.deepEqual(finalParameters(killed, 'train'), finalParameters(whole, 'train'));
  const epochs = (dir: string) =>
    readMetrics(path.join(dir, 'metrics.jsonl'))
      .filter((r): r is EpochRecord => r.kind === 'epoch')
      .map((r) => [r.epoch, r.testLoss]);
  assert.deepEqual(epochs(killed), epochs(whole));
  // the live noise scale (at every multiple of the default N among 6 x 375 steps) and its
  // moving averages, resumed
  const noise = (dir: string) =>
    noiseScaleRecords(readMetrics(path.join(dir, 'metrics.jsonl'))).map((r) => [
      r.epoch,
      r.step,
      r.gradientSquared,
      r.trace,
      r.simpleNoiseScale,
    ]);
  assert.equal(noise(whole).length, Math.ceil((6 * 375) / DEFAULT_NOISE_SCALE_EVERY));
  assert.deepEqual(noise(killed), noise(whole));
});

test('Smoothout at amplitude 0 trains bit-identically to plain training', async () => {
  const data = studyData(200, 50);
  const plain = await train({ batchSize: 20, epochs: 2, seed: 1 }, data);
  const zero = await train(
    {
      batchSize: 20,
      epochs: 2,
      seed: 1,
      smoothout: { amplitude: 0, adaptive: false, anneal: 'constant' },
    },
    data,
  );
  assert.deepEqual(finalParameters(zero.runDir, 'train'), finalParameters(plain.runDir, 'train'));
  const some = await train(
    {
      batchSize: 20,
      epochs: 2,
      seed: 1,
      smoothout: { amplitude: 0.01, adaptive: false, anneal: 'constant' },
    },
    data,
  );
  assert.notDeepEqual(
    finalParameters(some.runDir, 'train'),
    finalParameters(plain.runDir, 'train'),
  );
});

test('the Smoothout perturbation lies in [-a, a] (per filter norm when adaptive) and is removed before the update', () => {
  const data = randomDataset(30, [1, 28, 28], 10, 9);
  for (const adaptive of [false, true]) {
    const net = new Network(small, { seed: 2 });
    const opt = new Optimizer(net, { kind: 'sgd', lr: 0.1 });
    const smoothout = new Smoothout(net, adaptive);
    const a = 0.05;
    const w0 = Float32Array.from(net.parameters);
    smoothout.perturb(a);
    const theta = smoothout.theta;
    let largest = 0;
    for (const p of net.parameterTable) {
      const rows = p.shape.length >= 2 ? p.shape[0]! : p.size;
      const width = p.size / rows;
      for (let r = 0; r < rows; r++) {
        let norm = 0;
        for (let i = p.offset + r * width; i < p.offset + (r + 1) * width; i++) norm += w0[i]! ** 2;
        const scale = adaptive ? Math.sqrt(norm) : 1;
        for (let i = p.offset + r * width; i < p.offset + (r + 1) * width; i++) {
          assert.ok(Math.abs(theta[i]!) <= a * scale * (1 + 1e-6), `theta ${theta[i]} at ${i}`);
          assert.equal(net.parameters[i], Math.fround(w0[i]! + theta[i]!));
          if (scale > 0) largest = Math.max(largest, Math.abs(theta[i]!) / scale);
        }
      }
    }
    assert.ok(largest > 0.9 * a, 'the draws fill the interval');
    // the gradient is taken at w + theta ...
    net.gradient(data, data.all(), { mode: 'train' });
    const g = Float32Array.from(net.gradients);
    smoothout.restore(a);
    assert.deepEqual(net.parameters, w0); // ... and w is back, bit for bit, before the update
    opt.step();
    const expected = w0.map((w, i) => Math.fround(w - Math.fround(0.1 * g[i]!)));
    for (let i = 0; i < expected.length; i++)
      assert.ok(Math.abs(net.parameters[i]! - expected[i]!) <= 1e-7);
  }
});

test('the increasing-batch schedule changes B at exactly the configured epochs; every example is visited once per epoch', async () => {
  const base = { batchSize: 10, learningRate: 0.01 };
  const increasing = { kind: 'increasing' as const, at: [2, 4], factor: 3 };
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((e) => epochSettings(increasing, e, base).batchSize),
    [10, 30, 30, 90, 90],
  );
  const decay = { kind: 'lr-decay' as const, at: [2, 4], factor: 3 };
  assert.deepEqual(
    [1, 2, 4].map((e) => epochSettings(decay, e, base)),
    [base, { batchSize: 10, learningRate: 0.01 / 3 }, { batchSize: 10, learningRate: 0.01 / 9 }],
  );

  const data = studyData(100, 20);
  // watch every batch the trainer asks for
  const seen: number[][] = [];
  const original = Network.prototype.gradient;
  Network.prototype.gradient = function (this: Network, d, indices, options) {
    if (options?.mode === 'train') seen.push(Array.from(indices));
    return original.call(this, d, indices, options);
  };
  try {
    const { records } = await train({ batchSize: 10, epochs: 5, schedule: increasing }, data);
    const epochs = records.filter((r): r is EpochRecord => r.kind === 'epoch');
    assert.deepEqual(
      epochs.map((r) => r.batchSize),
      [10, 30, 30, 90, 90],
    );
  } finally {
    Network.prototype.gradient = original;
  }
  const perEpoch = [10, 4, 4, 2, 2]; // ceil(100 / B)
  let at = 0;
  for (const steps of perEpoch) {
    const visited = seen
      .slice(at, at + steps)
      .flat()
      .sort((a, b) => a - b);
    assert.deepEqual(
      visited,
      Array.from({ length: 100 }, (_, i) => i),
    );
    at += steps;
  }
  assert.equal(at, seen.length);
});

test('a diverging run stops with a clear status and keeps its last good checkpoint', async () => {
  const data = studyData(100, 20);
  const { runDir, records } = await train(
    { batchSize: 10, epochs: 3, optimizer: { kind: 'sgd', lr: 1e38 } },
    data,
  );
  const status = records.find((r): r is StatusRecord => r.kind === 'status')!;
  assert.equal(status.status, 'diverged');
  assert.match(status.message, /loss became (NaN|Infinity)/);
  const dir = path.join(runDir, 'checkpoints', 'train');
  const kept = fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((n) => n.endsWith('.train.safetensors'))
    : [];
  const epochLines = records.filter((r) => r.kind === 'epoch').length;
  assert.equal(
    kept.length,
    epochLines,
    'one checkpoint per completed epoch, none for the diverged state',
  );
  if (kept.length > 0) assert.ok(finalParameters(runDir, 'train').every(Number.isFinite));
});

test('piggybacked arms branch from one saved state and differ only in batch size', async () => {
  const data = studyData(120, 30);
  const { runDir, records } = await train(
    { batchSize: 10, epochs: 2, piggyback: { arms: [10, 60], epochs: 2 } },
    data,
  );
  const epochs = records.filter((r): r is EpochRecord => r.kind === 'epoch');
  assert.deepEqual(
    epochs.map((r) => [r.phase, r.epoch, r.batchSize]),
    [
      ['process1', 1, 10],
      ['process1', 2, 10],
      ['arm-10', 3, 10],
      ['arm-10', 4, 10],
      ['arm-60', 3, 60],
      ['arm-60', 4, 60],
    ],
  );
  // the B2 = B1 arm continues process 1 exactly as if it had never branched
  const straight = await train({ batchSize: 10, epochs: 4 }, data);
  assert.deepEqual(finalParameters(runDir, 'arm-10'), finalParameters(straight.runDir, 'train'));
  assert.ok(fs.existsSync(path.join(runDir, 'checkpoints', 'branch.train.safetensors')));
});
