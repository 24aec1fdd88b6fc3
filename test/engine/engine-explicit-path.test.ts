/**
 * The explicit-copy path of the engine, the one every GPU run takes, exercised on the CPU:
 * with GRADSCOPE_ZERO_COPY=0 a network has no zero-copy views and everything reads and writes
 * its flat vectors through explicit copies. Training steps, a checkpoint written and read
 * back, a line of Experiment A (both batch-norm modes) and an Experiment B point must equal
 * the default (zero-copy) path bit for bit: any copy missed or made at the wrong time shows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  analyzeGradients,
  DEFAULT_GRADIENT_ANALYSIS,
} from '../../src/analysis/gradient-distribution';
import { DEFAULT_LINE, lossAlongLine, solutionOf } from '../../src/analysis/loss-line';
import { Network } from '../../src/engine/network';
import { Optimizer } from '../../src/engine/optimizer';
import { loadNetwork, saveNetwork } from '../../src/engine/checkpoint';
import { loadTrainingState, saveTrainingState } from '../../src/train/training-state';
import { trainingStateFile } from '../../src/store/checkpoint-files';
import { everyLayer, randomStudyData } from '../fixtures/helpers';

const data = randomStudyData(48, 16, [2, 6, 6], 3, 5);
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-explicit-'));
test.after(() => fs.rmSync(temp, { recursive: true, force: true }));

/** Everything the study computes from one network, with the views on or off. */
async function study(zeroCopy: boolean) {
  const saved = process.env.GRADSCOPE_ZERO_COPY;
  if (zeroCopy) delete process.env.GRADSCOPE_ZERO_COPY;
  else process.env.GRADSCOPE_ZERO_COPY = '0';
  try {
    const net = new Network(everyLayer(), { seed: 11 });
    assert.equal(net.zeroCopy, zeroCopy);
    const start = solutionOf(net, 'start');
    const optimizer = new Optimizer(net, { kind: 'adam', lr: 0.01 });
    const steps: number[] = [];
    for (let s = 0; s < 3; s++) {
      const batch = Int32Array.from({ length: 16 }, (_, i) => (s * 16 + i * 5) % 48);
      steps.push(net.gradient(data.train, batch, { mode: 'train' }).loss);
      optimizer.step();
    }
    const file = path.join(temp, `${zeroCopy ? 'views' : 'explicit'}.safetensors`);
    saveNetwork(file, net, { epoch: 1, step: 3, extra: {} });
    saveTrainingState(file, optimizer, { position: 3 });
    const reloaded = new Network(everyLayer(), { seed: 99 });
    loadNetwork(file, reloaded);
    const resumed = new Optimizer(reloaded, { kind: 'adam', lr: 0.01 });
    loadTrainingState(file, resumed);
    const batch = Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 48);
    const afterResume = reloaded.gradient(data.train, batch, { mode: 'train' }).loss;
    resumed.step();
    const end = solutionOf(reloaded, 'end');
    const scratch = new Network(everyLayer(), { seed: 5 });
    const lines = [];
    for (const bn of ['interpolate', 'recalibrate'] as const)
      lines.push(
        await lossAlongLine(scratch, start, end, data, {
          ...DEFAULT_LINE,
          alphas: [-0.5, 0, 0.5, 1, 1.5],
          bn,
          sampleSize: 20,
          evalBatch: 7,
        }),
      );
    const pointB = await analyzeGradients(reloaded, data, {
      ...DEFAULT_GRADIENT_ANALYSIS,
      batchSizes: [4, 12],
      samples: 6,
      seed: 2,
      purpose: 'explicit',
    });
    return {
      net,
      steps,
      afterResume,
      checkpoint: fs.readFileSync(file),
      trainingState: fs.readFileSync(trainingStateFile(file)),
      end,
      lines: lines.map((l) => ({ ...l, seconds: 0, secondsPerPoint: 0 })),
      pointB: { ...pointB, seconds: 0, examplesPerSecond: 0 },
    };
  } finally {
    if (saved === undefined) delete process.env.GRADSCOPE_ZERO_COPY;
    else process.env.GRADSCOPE_ZERO_COPY = saved;
  }
}

test('GRADSCOPE_ZERO_COPY=0: no views, and every result equals the zero-copy path bit for bit', async () => {
  const views = await study(true);
  const explicit = await study(false);
  assert.throws(() => explicit.net.parameters, /zero-copy view.*read\/writeParameters/);
  assert.throws(() => explicit.net.gradients, /zero-copy view/);
  assert.ok(views.net.parameters.length > 0);
  assert.deepEqual(explicit.steps, views.steps, 'training losses');
  assert.ok(explicit.checkpoint.equals(views.checkpoint), 'checkpoint files differ');
  assert.ok(explicit.trainingState.equals(views.trainingState), 'training-state files differ');
  assert.equal(explicit.afterResume, views.afterResume, 'loss after resuming');
  assert.deepEqual(explicit.end, views.end, 'parameters and statistics after a step');
  assert.deepEqual(explicit.lines, views.lines, 'Experiment A lines');
  assert.deepEqual(explicit.pointB, views.pointB, 'Experiment B point');
  // the runs did something: training moved w, the line is not flat
  assert.notDeepEqual(
    views.end.parameters,
    solutionOf(new Network(everyLayer(), { seed: 11 }), 's').parameters,
  );
  const losses = views.lines[0]!.points.map((p) => p.test?.loss);
  assert.ok(new Set(losses).size > 1, `a flat line: ${losses.join(', ')}`);
});

test('explicit reads and writes check their range and round-trip exactly', () => {
  const saved = process.env.GRADSCOPE_ZERO_COPY;
  process.env.GRADSCOPE_ZERO_COPY = '0';
  try {
    const net = new Network(everyLayer(), { seed: 1 });
    const values = Float32Array.from({ length: 5 }, (_, i) => 0.1 * (i + 1));
    net.writeParameters(values, 3);
    assert.deepEqual(net.readParameters(3, 5), values);
    const counts = BigInt64Array.of(7n, 9n);
    net.writeBatchCounts(counts);
    assert.deepEqual(net.readBatchCounts(), counts);
    assert.throws(() => net.readParameters(net.parameterCount - 2, 5), /Expected a range inside/);
    assert.throws(() => net.writeStatistics(new Float32Array(3), -1), /Expected a range inside/);
  } finally {
    if (saved === undefined) delete process.env.GRADSCOPE_ZERO_COPY;
    else process.env.GRADSCOPE_ZERO_COPY = saved;
  }
});
