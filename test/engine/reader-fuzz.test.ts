/**
 * Mutation fuzzing of every file reader (issue 19): valid small safetensors files,
 * checkpoints, IDX files (plain and gzipped) and CIFAR files, each mutated by seeded bit
 * flips, byte overwrites, insertions, deletions, duplications and truncations. Every input
 * must either load or throw a GradscopeFileError / GradscopeInputError of one line: no
 * other exception, no hang (a time limit), and no runaway memory.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import * as zlib from 'zlib';
import { readCifarFiles } from '../../src/data/cifar';
import { readIdx } from '../../src/data/idx';
import { GradscopeFileError, GradscopeInputError } from '../../src/core/errors';
import type { NetworkSpec } from '../../src/engine/layers';
import { Network } from '../../src/engine/network';
import { encodeSafetensors, readSafetensors } from '../../src/engine/safetensors';
import { networkFromCheckpoint, saveNetwork } from '../../src/engine/checkpoint';
import { cifarBytes, cifarRecords, idxBytes, idxSplit, tempDir } from '../fixtures/data-fixtures';
import { random } from '../fixtures/helpers';

const dir = tempDir('gradscope-fuzz-');

/** One to three random edits of `base`. */
function mutate(base: Uint8Array, next: () => number): Buffer {
  let bytes = Buffer.from(base);
  const at = () => Math.floor(next() * (bytes.length + 1));
  const edits = 1 + Math.floor(next() * 3);
  for (let e = 0; e < edits; e++) {
    const kind = Math.floor(next() * 6);
    const i = Math.min(at(), Math.max(0, bytes.length - 1));
    const span = 1 + Math.floor(next() * 16);
    if (kind === 0 && bytes.length > 0) bytes[i] = bytes[i]! ^ (1 << Math.floor(next() * 8));
    else if (kind === 1 && bytes.length > 0) bytes[i] = Math.floor(next() * 256);
    else if (kind === 2) {
      const inserted = Buffer.from(Array.from({ length: span }, () => Math.floor(next() * 256)));
      bytes = Buffer.concat([bytes.subarray(0, i), inserted, bytes.subarray(i)]);
    } else if (kind === 3) bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + span)]);
    else if (kind === 4) bytes = Buffer.concat([bytes.subarray(0, i + span), bytes.subarray(i)]);
    else bytes = bytes.subarray(0, at());
  }
  return bytes;
}

interface Target {
  name: string;
  base: Uint8Array;
  /** Mutated inputs of this base. */
  count: number;
  read: (file: string) => unknown;
}

const tiny: NetworkSpec = {
  name: 'tiny',
  input: [1, 4, 4],
  classes: 3,
  layers: [
    { type: 'flatten' },
    { type: 'linear', out: 5 },
    { type: 'batchnorm1d' },
    { type: 'linear', out: 3 },
  ],
};

function checkpointBytes(): Buffer {
  const file = path.join(dir, 'base.safetensors');
  saveNetwork(file, new Network(tiny, { seed: 1 }), { epoch: 1, step: 2, extra: { data: 'x' } });
  return fs.readFileSync(file);
}

function targets(): Target[] {
  const tensors = [
    { name: 'a', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
    { name: 'b', shape: [], data: new BigInt64Array([7n]) },
    { name: 'c', shape: [3], data: new Uint8Array([1, 2, 3]) },
  ];
  const labels = idxSplit(6, 1, 2, 2);
  const cifar10 = cifarBytes(cifarRecords(2, 1), false);
  const cifar100 = cifarBytes(cifarRecords(2, 2, 100), true);
  return [
    {
      name: 'safetensors',
      base: encodeSafetensors(tensors, { k: 'v' }),
      count: 4 * 800,
      read: readSafetensors,
    },
    {
      name: 'safetensors-checksummed',
      base: encodeSafetensors(tensors, { k: 'v' }, { checksums: true }),
      count: 4 * 800,
      read: readSafetensors,
    },
    {
      name: 'checkpoint',
      base: checkpointBytes(),
      count: 4 * 600,
      read: (f) => networkFromCheckpoint(f),
    },
    {
      name: 'idx-labels',
      base: idxBytes([6], labels.labels),
      count: 4 * 500,
      read: (f) => readIdx(f, 1),
    },
    {
      name: 'idx-images',
      base: idxBytes([6, 2, 2], labels.pixels),
      count: 4 * 500,
      read: (f) => readIdx(f, 3),
    },
    {
      name: 'idx-images-gz',
      base: zlib.gzipSync(idxBytes([6, 2, 2], labels.pixels)),
      count: 4 * 600,
      read: (f) => readIdx(f, 3),
    },
    { name: 'cifar10', base: cifar10, count: 4 * 300, read: (f) => readCifarFiles([f], 'cifar10') },
    {
      name: 'cifar100-gz',
      base: zlib.gzipSync(cifar100),
      count: 4 * 400,
      read: (f) => readCifarFiles([f], 'cifar100'),
    },
  ];
}

test(
  'mutated files either load or fail with one GradscopeFileError/InputError line',
  { timeout: 120_000 },
  () => {
    const next = random(19);
    const started = process.hrtime.bigint();
    let inputs = 0;
    let loaded = 0;
    for (const target of targets()) {
      const file = path.join(dir, `${target.name}.bin`);
      for (let n = 0; n < target.count; n++) {
        const bytes = mutate(target.base, next);
        fs.writeFileSync(file, bytes);
        inputs++;
        try {
          target.read(file);
          loaded++;
        } catch (error) {
          const ours = error instanceof GradscopeFileError || error instanceof GradscopeInputError;
          const detail = `${target.name} input ${n} (${bytes.toString('hex').slice(0, 200)})`;
          assert.ok(ours, `${detail}: ${(error as Error).stack}`);
          assert.doesNotMatch((error as Error).message, /\n/, detail);
        }
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rssMb = process.resourceUsage().maxRSS / 1024;
    console.log(
      `fuzz: ${inputs} inputs (${loaded} loaded) in ${seconds.toFixed(1)} s, peak ${rssMb.toFixed(0)} MB`,
    );
    assert.ok(inputs >= 16000);
    assert.ok(rssMb < 600, `peak resident memory ${rssMb.toFixed(0)} MB`);
  },
);
