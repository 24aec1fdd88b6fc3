/**
 * One checksum over every byte a checkpoint's reader relies on (issue 27, item 2): the epoch,
 * the step, Adam's step count and the first loss live in the safetensors header's metadata,
 * which per-tensor checksums do not cover. A flipped bit in any of them, and a flipped bit
 * anywhere in either file's header, is detected; resuming skips such a checkpoint, names it,
 * and continues from the one before to the same end as a run never damaged. Files of the
 * format before (gradscope-checkpoint-1) still load; a version 2 file without its checksum
 * does not.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { GradscopeFileError } from '../../src/core/errors';
import type { NetworkSpec } from '../../src/engine/layers';
import { Network } from '../../src/engine/network';
import { checkpointInfo } from '../../src/engine/checkpoint-file';
import { networkFromCheckpoint, saveNetwork } from '../../src/engine/checkpoint';
import { encodeSafetensors, readSafetensors } from '../../src/engine/safetensors';
import { stateDict } from '../../src/engine/state-dict';
import { verifyCheckpoint } from '../../src/store/latest-checkpoint';
import { readMetrics, type EpochRecord } from '../../src/store/metrics';
import { gradscope, writeNetworkFile } from '../fixtures/cli-fixtures';
import { assertFileError, tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { random } from '../fixtures/helpers';
import { mnistNetwork } from '../fixtures/networks';

const small: NetworkSpec = mnistNetwork('small', { out: 12, batchNorm: true });

const root = tempDir('gradscope-seal-');
const data = path.join(root, 'data');
fs.mkdirSync(data);
writeIdxFolder(data, false, [200, 50]);
const network = writeNetworkFile(root, small);

function train(out: string, ...more: string[]): ReturnType<typeof gradscope> {
  return gradscope(
    ...['train', '--network', network, '--data', data, '--batch-size', '16', '--epochs', '3'],
    ...['--threads', '1', '--seed', '3', '--quiet', '--out', out, ...more],
  );
}

const whole = path.join(root, 'whole');
assert.equal(train(whole).status, 0);
const checkpoints = path.join(whole, 'checkpoints', 'train');
const second = path.join(checkpoints, 'epoch-0002.safetensors');
const secondState = path.join(checkpoints, 'epoch-0002.train.safetensors');

/** The 8-byte prefix plus the header: the part of a safetensors file that is not tensor data. */
function headerEnd(bytes: Buffer): number {
  return 8 + Number(bytes.readBigUInt64LE(0));
}

/** Offset in `bytes`' header of the first character of the text after `marker` (which follows
 * `after`, when given). */
function offsetOf(bytes: Buffer, marker: string, after = ''): number {
  const header = bytes.subarray(0, headerEnd(bytes)).toString('latin1');
  const start = after === '' ? 0 : header.indexOf(after);
  assert.ok(start >= 0, `the header holds ${after}`);
  const at = header.indexOf(marker, start);
  assert.ok(at >= 0, `the header holds ${marker} (after ${after || 'its start'})`);
  return at + marker.length;
}

/** A copy of the checkpoint pair of epoch 2 in a fresh folder, `file`'s byte `at` flipped by `mask`. */
function damagedPair(which: 'network' | 'state', at: (bytes: Buffer) => number, mask: number) {
  const dir = tempDir('gradscope-seal-pair-');
  const net = path.join(dir, 'epoch-0002.safetensors');
  const state = path.join(dir, 'epoch-0002.train.safetensors');
  fs.copyFileSync(second, net);
  fs.copyFileSync(secondState, state);
  const file = which === 'network' ? net : state;
  const bytes = fs.readFileSync(file);
  const i = at(bytes);
  const before = String.fromCharCode(bytes[i]!);
  bytes[i] = bytes[i]! ^ mask;
  fs.writeFileSync(file, bytes);
  return { net, file, changed: `${before} -> ${String.fromCharCode(bytes[i]!)}` };
}

const facts: [
  what: string,
  which: 'network' | 'state',
  marker: string,
  after: string,
  mask: number,
][] = [
  ['the epoch of the network file', 'network', '"epoch":"', '', 0x01],
  ['the step of the network file', 'network', '"step":"', '', 0x01],
  ["the phase's epoch", 'state', '\\"epoch\\":', '"extra"', 0x01],
  ["the phase's step", 'state', '\\"step\\":', '"extra"', 0x01],
  ["Adam's step count", 'state', '\\"step\\":', '"optimizer"', 0x01],
  ['initialLoss', 'state', '\\"initialLoss\\":', '', 0x04],
];

for (const [what, which, marker, after, mask] of facts)
  test(`a flipped bit in ${what} is detected, the file named`, () => {
    const { net, file, changed } = damagedPair(which, (b) => offsetOf(b, marker, after), mask);
    assert.match(changed, /^\d -> \d$/, 'the flip leaves a number, still valid JSON');
    assertFileError(() => verifyCheckpoint(net), file, /header_sha256/);
    if (which === 'network') assertFileError(() => checkpointInfo(net), file, /header_sha256/);
  });

test('every byte of either header, one random bit flipped, is detected', () => {
  const next = random(27);
  let flips = 0;
  for (const which of ['network', 'state'] as const) {
    const size = headerEnd(fs.readFileSync(which === 'network' ? second : secondState));
    for (let i = 0; i < size; i++) {
      const { net, file } = damagedPair(which, () => i, 1 << Math.floor(next() * 8));
      assert.throws(
        () => verifyCheckpoint(net),
        (error: unknown) =>
          error instanceof GradscopeFileError &&
          error.message.startsWith(`${file}: `) &&
          !error.message.includes('\n'),
        `a flip at byte ${i} of ${which} should be refused, naming the file`,
      );
      flips++;
    }
  }
  assert.ok(flips > 2000, `${flips} flips`);
});

test('resume skips a checkpoint whose Adam step is damaged, names it, and ends as an undamaged run', () => {
  const damaged = path.join(root, 'damaged');
  assert.equal(train(damaged).status, 0);
  // What a kill during epoch 3 leaves (checkpoints 1 and 2, metrics up to epoch 2), and then
  // Adam's step count in checkpoint 2 one bit off.
  const dir = path.join(damaged, 'checkpoints', 'train');
  for (const name of ['epoch-0003.safetensors', 'epoch-0003.train.safetensors'])
    fs.rmSync(path.join(dir, name));
  const metrics = path.join(damaged, 'metrics.jsonl');
  const kept = readMetrics(metrics).filter((r) => r.kind === 'epoch' && Number(r.epoch) <= 2);
  fs.writeFileSync(metrics, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const state = path.join(dir, 'epoch-0002.train.safetensors');
  const bytes = fs.readFileSync(state);
  const at = offsetOf(bytes, '\\"step\\":', '"optimizer"');
  bytes[at] = bytes[at]! ^ 0x01;
  fs.writeFileSync(state, bytes);

  const resumed = train(damaged, '--resume');
  assert.equal(resumed.status, 0, resumed.stderr);
  const lines = resumed.stderr.split('\n').filter((l) => l.includes('skip'));
  assert.equal(lines.length, 1, resumed.stderr);
  assert.ok(lines[0]!.includes(state), `stderr should name ${state}: ${resumed.stderr}`);
  const last = (run: string) =>
    readSafetensors(path.join(run, 'checkpoints', 'train', 'epoch-0003.safetensors')).tensors;
  for (const [name, tensor] of last(whole))
    assert.deepEqual(last(damaged).get(name)!.data, tensor.data, name);
  const epochs = (run: string) =>
    readMetrics(path.join(run, 'metrics.jsonl'))
      .filter((r): r is EpochRecord => r.kind === 'epoch')
      .map((r) => [r.epoch, r.step, r.trainLoss, r.testLoss, r.testAccuracy]);
  assert.deepEqual(epochs(damaged), epochs(whole));
});

test('a gradscope-checkpoint-1 file (no header checksum) still loads; a version 2 file without its checksum does not', () => {
  const net = new Network(small, { seed: 2 });
  const dir = tempDir('gradscope-seal-v1-');
  const file = path.join(dir, 'epoch-0001.safetensors');
  saveNetwork(file, net, { epoch: 1, step: 5, extra: {} });
  const metadata = readSafetensors(file).metadata;
  assert.equal(metadata.format, 'gradscope-checkpoint-2');
  assert.equal(metadata.header_sha256, undefined, "the checksum is the reader's, not metadata");

  const v1 = path.join(dir, 'v1.safetensors');
  fs.writeFileSync(
    v1,
    encodeSafetensors(stateDict(net), { ...metadata, format: 'gradscope-checkpoint-1' }),
  );
  assert.deepEqual(networkFromCheckpoint(v1).network.parameters, net.parameters);
  assert.equal(checkpointInfo(v1).step, 5);

  const unsealed = path.join(dir, 'unsealed.safetensors');
  fs.writeFileSync(unsealed, encodeSafetensors(stateDict(net), metadata));
  assertFileError(() => networkFromCheckpoint(unsealed), unsealed, /without its header_sha256/);
  assertFileError(() => checkpointInfo(unsealed), unsealed, /without its header_sha256/);
});
