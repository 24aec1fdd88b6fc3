/**
 * A TorchScript module trains and is analysed like the built-in network it scripts: the
 * module `gradscope export NET --pytorch` prints, scripted by torch.jit.script in PyTorch,
 * loaded with the built-in network's weights and running statistics (matched by name), gives
 * the same g_train (population and batch mode), Hessian-vector product and optimizer steps
 * (SGD with momentum, Adam; train mode, which also moves the running statistics) as the
 * built-in network, in float64 to 1e-6 relative. Two implementations: gradscope's own layers
 * and PyTorch's modules run by libtorch's TorchScript interpreter.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import { test } from 'node:test';
import { Network } from '../../src/engine/network';
import { Optimizer, type OptimizerSettings } from '../../src/engine/optimizer';
import { scriptedNetwork } from '../../src/bench/torchscript';
import { torchScriptSpec } from '../../src/engine/torchscript';
import { networkSpec } from '../../src/models';
import { stateDict } from '../../src/engine/state-dict';
import { tempDir } from '../fixtures/data-fixtures';
import { python, torchMissing } from '../fixtures/torchscript-fixtures';
import { random, randomDataset, range, relativeError } from '../fixtures/helpers';

const dir = tempDir('gradscope-torchscript-training-');
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const TOLERANCE = 1e-6;

/** The module `gradscope export NAME --pytorch` prints, scripted by torch.jit.script; its file. */
function scriptedExport(name: string): string {
  return scriptedNetwork(python, networkSpec(name), dir);
}

/**
 * The built-in network (seeded weights, scrambled running statistics) and the scripted
 * module holding the same values: same state_dict names and shapes, values copied and then
 * checked name by name.
 */
function twins(name: string, file: string): { builtIn: Network; scripted: Network } {
  const builtIn = new Network(networkSpec(name), { dtype: 'float64', seed: 3 });
  const stats = builtIn.readStatistics();
  const r = random(11);
  for (const s of builtIn.statisticsTable)
    for (let i = 0; i < s.features; i++) {
      stats[s.meanOffset + i] = 0.2 * (r() - 0.5);
      stats[s.varOffset + i] = 0.5 + r();
    }
  builtIn.writeStatistics(stats);
  const scripted = new Network(torchScriptSpec(file), { dtype: 'float64' });
  const ours = stateDict(builtIn);
  assert.deepEqual(
    stateDict(scripted).map((t) => `${t.name} [${t.shape.join(', ')}]`),
    ours.map((t) => `${t.name} [${t.shape.join(', ')}]`),
  );
  scripted.writeParameters(builtIn.readParameters());
  scripted.writeStatistics(builtIn.readStatistics());
  scripted.writeBatchCounts(builtIn.readBatchCounts());
  const theirs = new Map(stateDict(scripted).map((t) => [t.name, t]));
  for (const t of ours) assert.deepEqual(theirs.get(t.name)!.data, t.data, t.name);
  return { builtIn, scripted };
}

/** |a - b| / |b| below the tolerance, named. */
function same(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  const err = relativeError(a, b);
  assert.ok(err < TOLERANCE, `${what}: relative error ${err}`);
}

function compare(name: string, shape: [number, number, number], n: number): void {
  const file = scriptedExport(name);
  const data = randomDataset(n, shape, 10, 5);
  const all = range(n);
  const { builtIn, scripted } = twins(name, file);

  for (const mode of ['population', 'batch'] as const) {
    const a = builtIn.gradient(data, all, { mode });
    const b = scripted.gradient(data, all, { mode });
    assert.ok(Math.abs(b.loss - a.loss) < TOLERANCE * a.loss, `${mode} loss`);
    same(scripted.readGradients(), builtIn.readGradients(), `${name} ${mode} g_train`);
  }
  const r = random(17);
  const v = Float64Array.from({ length: builtIn.parameterCount }, () => r() - 0.5);
  for (const mode of ['population', 'batch'] as const) {
    const hvA = new Float64Array(builtIn.parameterCount);
    const hvB = new Float64Array(builtIn.parameterCount);
    builtIn.hessianVector(data, all, v, hvA, { mode });
    scripted.hessianVector(data, all, v, hvB, { mode });
    assert.ok(hvA.some((x) => x !== 0));
    same(hvB, hvA, `${name} ${mode} Hessian-vector product`);
  }
  // statistics are equal before training: batch mode and the HVPs changed neither
  same(scripted.readStatistics(), builtIn.readStatistics(), `${name} statistics before training`);

  const settings: OptimizerSettings[] = [
    { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
    { kind: 'adam', lr: 1e-3 },
  ];
  for (const s of settings) {
    const { builtIn: a, scripted: b } = twins(name, file);
    const start = a.readParameters();
    const optA = new Optimizer(a, s);
    const optB = new Optimizer(b, s);
    for (let step = 0; step < 3; step++) {
      const batch = range(n / 2, step % 2 === 0 ? 0 : n / 2);
      a.gradient(data, batch, { mode: 'train' });
      b.gradient(data, batch, { mode: 'train' });
      optA.step();
      optB.step();
    }
    const moved = a.readParameters().map((x, i) => x - start[i]!);
    const movedB = b.readParameters().map((x, i) => x - start[i]!);
    same(movedB, moved, `${name} ${s.kind}: the three steps`);
    same(b.readParameters(), a.readParameters(), `${name} ${s.kind}: weights after three steps`);
    same(b.readStatistics(), a.readStatistics(), `${name} ${s.kind}: running statistics`);
  }
}

/**
 * Batch-norm recalibration of the scripted module (each batch norm in turn in train mode
 * over the examples, divided back by its momentum) gives the built-in network's running
 * statistics (exact per-channel mean and unbiased variance, layer by layer); counts and
 * weights untouched.
 */
function recalibrated(name: string, shape: [number, number, number], n: number): void {
  const file = scriptedExport(name);
  const data = randomDataset(n, shape, 10, 7);
  const { builtIn, scripted } = twins(name, file);
  const before = scripted.readStatistics();
  const counts = scripted.readBatchCounts();
  const weights = scripted.readParameters();
  builtIn.recalibrate(data, range(n), { chunk: 5 });
  scripted.recalibrate(data, range(n));
  const after = scripted.readStatistics();
  assert.ok(relativeError(after, before) > 0.1, 'the statistics moved');
  same(after, builtIn.readStatistics(), `${name} recalibrated statistics`);
  assert.deepEqual(scripted.readBatchCounts(), counts);
  assert.deepEqual(scripted.readParameters(), weights);
  const a = builtIn.evaluate(data, range(n));
  const b = scripted.evaluate(data, range(n));
  assert.ok(Math.abs(b.loss - a.loss) < TOLERANCE * a.loss, `${name} recalibrated loss`);
}

test("a TorchScript F1 and ResNet20 recalibrate their batch norms to the built-in networks' statistics", (t) => {
  if (torchMissing) return t.skip(torchMissing);
  recalibrated('F1', [1, 28, 28], 16);
  recalibrated('ResNet20', [3, 32, 32], 8);
});

/** num_batches_tracked after `steps` train-mode passes of the scripted module. */
function batchCountsAfter(file: string, steps: number): BigInt64Array {
  const scripted = new Network(torchScriptSpec(file), { dtype: 'float64' });
  const data = randomDataset(4, [1, 28, 28], 10, 5);
  for (let step = 0; step < steps; step++) scripted.gradient(data, range(4), { mode: 'train' });
  return scripted.readBatchCounts();
}

test("a TorchScript F1 gives the built-in F1's g_train, Hessian-vector product and training steps", (t) => {
  if (torchMissing) return t.skip(torchMissing);
  compare('F1', [1, 28, 28], 16);
});

test("a TorchScript ResNet20 gives the built-in ResNet20's g_train, Hessian-vector product and training steps", (t) => {
  if (torchMissing) return t.skip(torchMissing);
  compare('ResNet20', [3, 32, 32], 8);
});

// Found by this file: each train-mode pass added 0x0101010101010101 to a TorchScript module's
// num_batches_tracked instead of 1 (native/script.cc re-pointed it with `view({})`, which C++
// resolves to Tensor::view(ScalarType) with ScalarType{} == kByte: 8 one-byte elements).
test('a TorchScript module counts its train-mode batches as PyTorch does', (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const file = scriptedExport('F1');
  assert.deepEqual(Array.from(batchCountsAfter(file, 3)), Array(5).fill(3n));
});
