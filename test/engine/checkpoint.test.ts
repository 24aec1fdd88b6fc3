/**
 * Checkpoints: a round trip restores network, optimiser and RNG exactly; broken,
 * foreign and mismatched files are refused with one line naming the file.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { GradscopeFileError } from '../../src/core/errors';
import { Network } from '../../src/engine/network';
import { Optimizer } from '../../src/engine/optimizer';
import { writeSafetensors } from '../../src/engine/safetensors';
import { f1 } from '../../src/models/f1';
import { checkpointInfo } from '../../src/engine/checkpoint-file';
import { loadNetwork, saveNetwork } from '../../src/engine/checkpoint';
import { loadTrainingState, saveTrainingState } from '../../src/train/training-state';
import { stateDict } from '../../src/engine/state-dict';
import { everyLayer, randomDataset, range } from '../fixtures/helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-checkpoint-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const data = randomDataset(16, [2, 6, 6], 3, 5);

function trained(steps: number): { net: Network; opt: Optimizer } {
  const net = new Network(everyLayer(), { seed: 11 });
  const opt = new Optimizer(net, { kind: 'adam', lr: 1e-2 });
  for (let i = 0; i < steps; i++) {
    net.gradient(data, range(8, (i % 2) * 8), { mode: 'train' });
    opt.step();
  }
  return { net, opt };
}

test('state_dict names and order are those of the equivalent nn.Sequential', () => {
  const names = stateDict(new Network(everyLayer())).map((t) => t.name);
  assert.deepEqual(names, [
    '0.weight',
    '0.bias',
    '1.weight',
    '1.bias',
    '1.running_mean',
    '1.running_var',
    '1.num_batches_tracked',
    '4.weight',
    '7.weight',
    '8.weight',
    '8.bias',
    '8.running_mean',
    '8.running_var',
    '8.num_batches_tracked',
    '10.weight',
    '10.bias',
  ]);
});

test('a checkpoint round trip continues training bit for bit', () => {
  const file = path.join(dir, 'a.safetensors');
  const a = trained(3);
  saveTrainingState(file, a.opt, { sampler: 'here' });
  saveNetwork(file, a.net, { epoch: 3, step: 3, extra: { seed: 11 } });
  // continue a for 3 more steps
  for (let i = 3; i < 6; i++) {
    a.net.gradient(data, range(8, (i % 2) * 8), { mode: 'train' });
    a.opt.step();
  }
  const b = trained(0);
  const info = loadNetwork(file, b.net);
  const state = loadTrainingState(file, b.opt);
  assert.equal(info.epoch, 3);
  assert.deepEqual(info.extra, { seed: 11 });
  assert.deepEqual(state.extra, { sampler: 'here' });
  assert.equal(b.net.batchCounts[0], 3n);
  for (let i = 3; i < 6; i++) {
    b.net.gradient(data, range(8, (i % 2) * 8), { mode: 'train' });
    b.opt.step();
  }
  assert.deepEqual(b.net.parameters, a.net.parameters);
  assert.deepEqual(b.net.statistics, a.net.statistics);
});

const refuses = (f: () => unknown, file: string, pattern: RegExp): void =>
  assert.throws(
    f,
    (e: unknown) =>
      e instanceof GradscopeFileError && e.message.startsWith(file) && pattern.test(e.message),
  );

test('missing, truncated, foreign and mismatched checkpoints are refused', () => {
  const good = path.join(dir, 'good.safetensors');
  const a = trained(1);
  saveNetwork(good, a.net, { epoch: 1, step: 1, extra: {} });
  const net = new Network(everyLayer());

  refuses(
    () => loadNetwork(path.join(dir, 'none.safetensors'), net),
    path.join(dir, 'none.safetensors'),
    /no such checkpoint/,
  );

  const truncated = path.join(dir, 'truncated.safetensors');
  const bytes = fs.readFileSync(good);
  fs.writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
  refuses(() => loadNetwork(truncated, net), truncated, /truncated/);

  const garbage = path.join(dir, 'garbage.safetensors');
  fs.writeFileSync(garbage, 'this is not a checkpoint at all, just text');
  refuses(() => loadNetwork(garbage, net), garbage, /not a safetensors file|truncated/);

  const foreign = path.join(dir, 'foreign.safetensors');
  writeSafetensors(foreign, [{ name: 'x', shape: [1], data: Float32Array.of(1) }]);
  // a safetensors file without gradscope metadata is read as a plain PyTorch state_dict
  refuses(
    () => loadNetwork(foreign, net),
    foreign,
    /made for another network: missing .*; unexpected x$/,
  );

  const other = new Network(f1());
  refuses(() => loadNetwork(good, other), good, /made for another network/);
  // the network refused the file untouched
  const before = Float32Array.from(other.parameters);
  assert.throws(() => loadNetwork(good, other));
  assert.deepEqual(other.parameters, before);

  assert.equal(checkpointInfo(good).network.name, 'every-layer');
});
