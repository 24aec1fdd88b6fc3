/**
 * Hostile files fail fast and small (issue 19, item 4): every reader checks what a file
 * declares against what it holds before it allocates, reads or inflates, and accepts
 * regular files only. Each crafted file runs through the command line in a child process
 * and must fail with one line, exit 2, in under a second of CPU time (a few seconds of wall
 * time, however busy the machine), below 300 MB resident.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import * as zlib from 'zlib';
import { encodeSafetensors } from '../../src/engine/safetensors';
import { CHECKPOINT_FORMAT } from '../../src/engine/checkpoint-file';
import { idxBytes, tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { assertFailsFastAndSmall } from '../fixtures/measured-child';

const dir = tempDir('gradscope-hostile-');

const analyze = (checkpoint: string) => [
  'analyze',
  'gradients',
  '--checkpoint',
  checkpoint,
  '--data',
  'mnist',
];

test('a tiny checkpoint declaring a 300 000-output layer is rejected before the network is built', () => {
  const spec = {
    name: 'huge',
    input: [1, 28, 28],
    classes: 10,
    layers: [{ type: 'flatten' }, { type: 'linear', out: 300000 }, { type: 'linear', out: 10 }],
  };
  const file = path.join(dir, 'huge.safetensors');
  fs.writeFileSync(
    file,
    encodeSafetensors(
      [{ name: '1.weight', shape: [1], data: new Float32Array(1) }],
      {
        format: CHECKPOINT_FORMAT,
        network: JSON.stringify(spec),
        epoch: '1',
        step: '1',
        extra: '{}',
      },
      { checksums: true }, // a version 2 checkpoint carries them (a sound file, a huge claim)
    ),
  );
  assert.ok(fs.statSync(file).size < 1024);
  assertFailsFastAndSmall(analyze(file), file, /another network|declares/);
});

test('/dev/zero and a FIFO as --checkpoint fail at once: regular files only', () => {
  assertFailsFastAndSmall(analyze('/dev/zero'), '/dev/zero', /not a regular file/);
  const fifo = path.join(dir, 'pipe.safetensors');
  execFileSync('mkfifo', [fifo]);
  assertFailsFastAndSmall(analyze(fifo), fifo, /not a regular file/);
  const network = path.join(dir, 'pipe.json'); // a --network layer list too
  execFileSync('mkfifo', [network]);
  const args = ['train', '--network', network, '--data', 'mnist', '--out', path.join(dir, 'r')];
  assertFailsFastAndSmall(args, network, /not a regular file/);
});

test('/dev/zero and a FIFO as a study config fail at once: opened once, as a regular file', () => {
  // issue 27, item 5: `run /dev/zero --plan` grew to 1.6 GB in 40 s, `run FIFO --plan` hung
  assertFailsFastAndSmall(['run', '/dev/zero', '--plan'], '/dev/zero', /not a regular file/, {}, 8);
  const fifo = path.join(dir, 'study.yaml');
  execFileSync('mkfifo', [fifo]);
  assertFailsFastAndSmall(['run', fifo, '--plan'], fifo, /not a regular file \(a FIFO\)/, {}, 8);
});

test('a 1.5 GB checkpoint is judged by its prefix and header before its data are read', () => {
  const absurd = path.join(dir, 'absurd-header.safetensors');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(1_400_000_000n);
  fs.writeFileSync(absurd, prefix);
  fs.truncateSync(absurd, 1_500_000_000); // sparse: no disk used
  assertFailsFastAndSmall(analyze(absurd), absurd, /header/);

  const uncovered = path.join(dir, 'uncovered-data.safetensors');
  fs.writeFileSync(uncovered, encodeSafetensors([], { format: CHECKPOINT_FORMAT }));
  fs.truncateSync(uncovered, 1_500_000_000);
  assertFailsFastAndSmall(analyze(uncovered), uncovered, /tensors cover only 0/);
});

test('a deeply nested safetensors header is one clear line, not a stack overflow', () => {
  const depth = 200_000;
  const json = `{"a":{"dtype":"F32","shape":${'['.repeat(depth)}${']'.repeat(depth)},"data_offsets":[0,0]}}`;
  const header = Buffer.from(json.padEnd(Math.ceil(json.length / 8) * 8, ' '));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  const file = path.join(dir, 'nested.safetensors');
  fs.writeFileSync(file, Buffer.concat([prefix, header]));
  assertFailsFastAndSmall(analyze(file), file, /nest/);
});

/** A gzip stream of `header` then `megabytes` MB of zeros, as concatenated members (~1 KB per MB). */
function gzipBomb(header: Uint8Array, megabytes: number): Buffer {
  const zeros = zlib.gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  return Buffer.concat([zlib.gzipSync(header), ...Array<Buffer>(megabytes).fill(zeros)]);
}

test('a gzipped IDX file that inflates far past its header is stopped at the declared size', () => {
  const data = tempDir('gradscope-bomb-idx-');
  writeIdxFolder(data, true, [20, 10]);
  const file = path.join(data, 'train-images-idx3-ubyte.gz');
  fs.writeFileSync(file, gzipBomb(idxBytes([60000, 28, 28], new Uint8Array(0)), 4096));
  const args = ['train', '--network', 'F1', '--data', data, '--epochs', '1'];
  assertFailsFastAndSmall(
    [...args, '--out', path.join(data, 'run')],
    file,
    /longer than its header says/,
  );
});

test('a gzipped CIFAR file that inflates past the largest CIFAR file is stopped there', () => {
  const data = tempDir('gradscope-bomb-cifar-');
  for (const name of ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin'])
    fs.writeFileSync(path.join(data, name), Buffer.alloc(3073));
  for (const name of ['data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'])
    fs.writeFileSync(path.join(data, name), Buffer.alloc(3073));
  const file = path.join(data, 'data_batch_1.bin.gz');
  fs.rmSync(path.join(data, 'data_batch_1.bin'));
  fs.writeFileSync(file, gzipBomb(new Uint8Array(0), 1024));
  const args = ['train', '--network', 'C1', '--data', data, '--epochs', '1'];
  assertFailsFastAndSmall([...args, '--out', path.join(data, 'run')], file, /records/);
});
