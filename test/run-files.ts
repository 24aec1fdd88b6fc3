/**
 * For the crash-safety tests: a small network and MNIST-shaped folder, the arguments of a
 * seeded one-thread piggybacked CLI run, and what two runs must share to be "the same":
 * every final tensor bit of every phase and every epoch's metrics.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { NetworkSpec } from '../src/engine/layers';
import { readSafetensors } from '../src/engine/safetensors';
import { readMetrics, type EpochRecord } from '../src/store/metrics';
import { writeNetworkFile } from './cli-fixtures';
import { tempDir, writeIdxFolder } from './data-fixtures';
import { mnistNetwork } from './networks';

const small: NetworkSpec = mnistNetwork('small', { out: 12, batchNorm: true });

/** A folder with data and a network file; returns `gradscope train` arguments for `out`. */
export function piggybackRun(): { root: string; args: (out: string) => string[] } {
  const root = tempDir('gradscope-crash-');
  const data = path.join(root, 'data');
  fs.mkdirSync(data);
  writeIdxFolder(data, false, [400, 100]);
  const network = writeNetworkFile(root, small);
  const args = (out: string) => [
    ...['train', '--network', network, '--data', data, '--batch-size', '16', '--epochs', '2'],
    ...['--piggyback', '16,48', '--arm-epochs', '1'],
    ...['--threads', '1', '--seed', '4', '--quiet', '--out', out],
  ];
  return { root, args };
}

/** Every file name under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.path, e.name));
}

/** The newest checkpoint of every phase, bit for bit, and the epoch metrics are equal. */
export function assertSameRun(got: string, want: string): void {
  const phases = fs.readdirSync(path.join(want, 'checkpoints'), { withFileTypes: true });
  for (const phase of phases.filter((e) => e.isDirectory())) {
    const dir = (run: string) => path.join(run, 'checkpoints', phase.name);
    const names = fs.readdirSync(dir(want)).filter((n) => /^epoch-\d+\.safetensors$/.test(n));
    const last = names.sort().pop()!;
    const tensors = (run: string) => readSafetensors(path.join(dir(run), last)).tensors;
    const mine = tensors(got);
    for (const [name, tensor] of tensors(want))
      assert.deepEqual(mine.get(name)?.data, tensor.data, `${phase.name}/${last} ${name}`);
  }
  const epochs = (run: string) =>
    readMetrics(path.join(run, 'metrics.jsonl'))
      .filter((r): r is EpochRecord => r.kind === 'epoch')
      .map((r) => [r.phase, r.epoch, r.trainLoss, r.testLoss, r.testAccuracy]);
  assert.deepEqual(epochs(got), epochs(want));
}
