/**
 * Checkpoints carry a SHA-256 per tensor (issue 19, item 3): a flipped bit is detected and
 * named (file and tensor), files written before the checksums still load, and resuming
 * skips a damaged latest checkpoint, says so on stderr, and continues from the one before
 * to the same end as a run never damaged.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import type { NetworkSpec } from '../../src/engine/layers';
import { Network } from '../../src/engine/network';
import { encodeSafetensors, readSafetensors } from '../../src/engine/safetensors';
import { readMetrics, type EpochRecord } from '../../src/store/metrics';
import { networkFromCheckpoint, saveNetwork } from '../../src/engine/checkpoint';
import { stateDict } from '../../src/engine/state-dict';
import { gradscope, writeNetworkFile } from '../fixtures/cli-fixtures';
import { assertFileError, tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { mnistNetwork } from '../fixtures/networks';

const small: NetworkSpec = mnistNetwork('small', { out: 12, batchNorm: true });

/** Flips one bit of the exponent of the first float of tensor `name` in a safetensors file. */
function flipBit(file: string, name: string): void {
  const bytes = fs.readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { data_offsets: [number, number] }
  >;
  const at = 8 + headerLength + header[name]!.data_offsets[0] + 3;
  bytes[at] = bytes[at]! ^ 0x40;
  fs.writeFileSync(file, bytes);
}

test('a flipped bit in a checkpoint is named by file and tensor', () => {
  const file = path.join(tempDir('gradscope-sum-'), 'net.safetensors');
  saveNetwork(file, new Network(small, { seed: 1 }), { epoch: 1, step: 1, extra: {} });
  flipBit(file, '1.weight');
  assertFileError(() => networkFromCheckpoint(file), file, /tensor "1\.weight" is damaged/);
  assertFileError(() => readSafetensors(file), file, /tensor "1\.weight" is damaged/);
});

test('a checkpoint written without checksums (before them) still loads', () => {
  const network = new Network(small, { seed: 2 });
  const file = path.join(tempDir('gradscope-sum-'), 'old.safetensors');
  saveNetwork(file, network, { epoch: 1, step: 1, extra: {} });
  const metadata = { ...readSafetensors(file).metadata };
  assert.equal(metadata.tensor_sha256, undefined, "the checksums are the reader's, not metadata");
  const v1 = { ...metadata, format: 'gradscope-checkpoint-1' }; // the format before issue 27's
  fs.writeFileSync(file, encodeSafetensors(stateDict(network), v1));
  assert.doesNotMatch(fs.readFileSync(file).toString('latin1'), /tensor_sha256/);
  const loaded = networkFromCheckpoint(file).network;
  assert.deepEqual(loaded.parameters, network.parameters);
});

test('resume skips a damaged latest checkpoint, names it, and ends as an undamaged run', () => {
  const root = tempDir('gradscope-sum-run-');
  const data = path.join(root, 'data');
  fs.mkdirSync(data);
  writeIdxFolder(data, false, [600, 100]);
  const network = writeNetworkFile(root, small);
  const args = (out: string) => [
    ...['train', '--network', network, '--data', data, '--batch-size', '16', '--epochs', '3'],
    ...['--threads', '1', '--seed', '3', '--quiet', '--out', out],
  ];
  const whole = path.join(root, 'whole');
  const damaged = path.join(root, 'damaged');
  assert.equal(gradscope(...args(whole)).status, 0);
  assert.equal(gradscope(...args(damaged)).status, 0);

  // What a kill during epoch 3 leaves (checkpoints 1 and 2, metrics up to epoch 2),
  // and then a flipped bit in checkpoint 2.
  const dir = path.join(damaged, 'checkpoints', 'train');
  for (const name of ['epoch-0003.safetensors', 'epoch-0003.train.safetensors'])
    fs.rmSync(path.join(dir, name));
  const metrics = path.join(damaged, 'metrics.jsonl');
  const kept = readMetrics(metrics).filter((r) => r.kind === 'epoch' && Number(r.epoch) <= 2);
  fs.writeFileSync(metrics, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const second = path.join(dir, 'epoch-0002.safetensors');
  flipBit(second, '1.weight');

  const resumed = gradscope(...args(damaged), '--resume');
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.ok(resumed.stderr.includes(second), `stderr should name ${second}: ${resumed.stderr}`);
  assert.match(resumed.stderr, /skip/);
  assert.match(resumed.stderr, /1\.weight/);
  const last = (run: string) =>
    readSafetensors(path.join(run, 'checkpoints', 'train', 'epoch-0003.safetensors')).tensors;
  for (const [name, tensor] of last(whole))
    assert.deepEqual(last(damaged).get(name)!.data, tensor.data, name);
  const epochs = (run: string) =>
    readMetrics(path.join(run, 'metrics.jsonl'))
      .filter((r): r is EpochRecord => r.kind === 'epoch')
      .map((r) => [r.epoch, r.trainLoss, r.testLoss, r.testAccuracy]);
  assert.deepEqual(epochs(damaged), epochs(whole));
});
