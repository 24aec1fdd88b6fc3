/**
 * For tests that meet gradscope as a user does: the command line in a child process,
 * a network file, and a one-epoch training run that leaves a checkpoint.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { NetworkSpec } from '../src/engine/layers';
import { writeIdxFolder } from './data-fixtures';
import { mnistNetwork } from './networks';

export const cli = path.join(__dirname, '..', '..', 'bin', 'gradscope.js');

export function gradscope(...args: string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes `spec` as DIR/NAME.json (a network file `--network` accepts); returns its path. */
export function writeNetworkFile(dir: string, spec: NetworkSpec): string {
  const file = path.join(dir, `${spec.name}.json`);
  fs.writeFileSync(file, JSON.stringify(spec));
  return file;
}

/**
 * DIR/data, IDX files of MNIST's shape with `counts` = [train, test] examples, and DIR/NAME.json,
 * softmax regression on them: what `--data` and `--network` of a small command line take.
 */
export function idxDataAndNetwork(
  dir: string,
  counts: [number, number],
  name: string,
): { data: string; net: string } {
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  writeIdxFolder(data, false, counts);
  return { data, net: writeNetworkFile(dir, mnistNetwork(name)) };
}

/** `gradscope train` for one epoch at B = 8 into `out`; returns the run and its checkpoint. */
export function trainOneEpoch(
  network: string,
  data: string,
  out: string,
): { run: ReturnType<typeof gradscope>; checkpoint: string } {
  const run = gradscope(
    ...['train', '--network', network, '--data', data, '--batch-size', '8', '--epochs', '1'],
    ...['--quiet', '--out', out],
  );
  return { run, checkpoint: path.join(out, 'checkpoints', 'train', 'epoch-0001.safetensors') };
}
