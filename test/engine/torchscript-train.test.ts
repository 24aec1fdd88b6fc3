/**
 * `gradscope train --network MODEL.ts.pt`: a TorchScript F1 (the export of F1, scripted by
 * PyTorch, holding the built-in F1's seed-5 initial weights) trains as the built-in F1 does
 * from the same weights with the same seed (same batches): every weight and running
 * statistic of every epoch's checkpoint and every epoch's losses to 1e-5 relative in float32
 * (two implementations: gradscope's own layers, PyTorch's modules run by libtorch's
 * interpreter). And a TorchScript run stopped after its first epoch and resumed ends with
 * checkpoints bit-equal to an uninterrupted run's.
 */
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { Network } from '../../src/engine/network';
import { readSafetensors, type TensorData } from '../../src/engine/safetensors';
import { networkSpec } from '../../src/models';
import { readMetrics, type EpochRecord } from '../../src/store/metrics';
import { cli, gradscope } from '../fixtures/cli-fixtures';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { relativeError } from '../fixtures/helpers';
import { scriptedWithWeights, torchMissing } from '../fixtures/torchscript-fixtures';

const SEED = 5;
const TOLERANCE = 1e-5;

const dir = tempDir('gradscope-torchscript-train-');
const data = path.join(dir, 'data');
fs.mkdirSync(data);
writeIdxFolder(data, false, [1200, 100]);

/** The scripted F1 with the built-in F1's initial weights for SEED (made once). */
let scripted: string | undefined;
function scriptedF1(): string {
  scripted ??= scriptedWithWeights('F1', new Network(networkSpec('F1'), { seed: SEED }), dir);
  return scripted;
}

function trainArgs(network: string, out: string, epochs: number): string[] {
  return [
    ...['train', '--network', network, '--data', data, '--batch-size', '32'],
    ...['--epochs', String(epochs), '--threads', '1', '--seed', String(SEED), '--quiet'],
    ...['--out', out],
  ];
}

/** Each epoch checkpoint of the run's `train` phase: file name -> tensors by name. */
function checkpoints(runDir: string): Map<string, Map<string, TensorData>> {
  const folder = path.join(runDir, 'checkpoints', 'train');
  const out = new Map<string, Map<string, TensorData>>();
  for (const name of fs.readdirSync(folder).sort())
    if (/^epoch-\d+(\.train)?\.safetensors$/.test(name)) {
      const file = readSafetensors(path.join(folder, name));
      out.set(name, new Map([...file.tensors].map(([k, t]) => [k, t.data])));
    }
  return out;
}

function epochs(runDir: string): EpochRecord[] {
  return readMetrics(path.join(runDir, 'metrics.jsonl')).filter(
    (r): r is EpochRecord => r.kind === 'epoch',
  );
}

test('gradscope train on a TorchScript F1 trains as the built-in F1 from the same weights', (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const builtIn = path.join(dir, 'built-in');
  const viaScript = path.join(dir, 'script');
  // the module's Linear layers take the built-in network's kernels: two epochs of Adam would
  // amplify rounding differences between two kernels far beyond 1e-5
  const a = gradscope(...trainArgs('F1', builtIn, 2));
  assert.equal(a.status, 0, a.stderr);
  const b = gradscope(...trainArgs(scriptedF1(), viaScript, 2));
  assert.equal(b.status, 0, b.stderr);

  const ours = checkpoints(builtIn);
  const theirs = checkpoints(viaScript);
  const weights = [...ours.keys()].filter((n) => !n.includes('.train.'));
  assert.deepEqual(weights, ['epoch-0001.safetensors', 'epoch-0002.safetensors']);
  for (const file of weights) {
    const mine = ours.get(file)!;
    const other = theirs.get(file)!;
    assert.deepEqual([...other.keys()], [...mine.keys()], `${file}: tensor names`);
    for (const [name, x] of mine) {
      const y = other.get(name)!;
      if (x instanceof BigInt64Array) assert.deepEqual(y, x, `${file} ${name}`);
      else {
        const err = relativeError(y as Float32Array, x as Float32Array);
        assert.ok(err < TOLERANCE, `${file} ${name}: relative error ${err}`);
      }
    }
  }
  const [ea, eb] = [epochs(builtIn), epochs(viaScript)];
  assert.equal(eb.length, 2);
  for (const key of ['trainLoss', 'testLoss'] as const)
    for (let i = 0; i < ea.length; i++) {
      const x = Number(ea[i]![key]);
      const y = Number(eb[i]![key]);
      assert.ok(Math.abs(y - x) <= TOLERANCE * Math.abs(x), `epoch ${i + 1} ${key}: ${y} vs ${x}`);
    }
});

test('a TorchScript training run stopped after an epoch and resumed equals an uninterrupted one', async (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const file = scriptedF1();
  const whole = path.join(dir, 'whole');
  const stopped = path.join(dir, 'stopped');
  const done = gradscope(...trainArgs(file, whole, 4));
  assert.equal(done.status, 0, done.stderr);

  // stop (SIGTERM: the step in progress ends, the last complete checkpoint stays) once
  // the first epoch is recorded
  const child = spawn(process.execPath, [cli, ...trainArgs(file, stopped, 4)], {
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (fs.existsSync(path.join(stopped, 'metrics.jsonl')) && epochs(stopped).length >= 1) {
        clearInterval(poll);
        child.kill('SIGTERM');
        resolve();
      }
    }, 5);
  });
  assert.equal(await exited, 143);
  const before = epochs(stopped).length;
  assert.ok(before >= 1 && before < 4, `stopped after ${before} epochs`);

  const resumed = gradscope(...trainArgs(file, stopped, 4), '--resume');
  assert.equal(resumed.status, 0, resumed.stderr);
  const a = checkpoints(whole);
  const b = checkpoints(stopped);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  assert.ok(a.size >= 4);
  for (const [name, tensors] of a) assert.deepEqual(b.get(name), tensors, name);
  assert.deepEqual(
    epochs(stopped).map((r) => [r.epoch, r.trainLoss, r.testLoss]),
    epochs(whole).map((r) => [r.epoch, r.trainLoss, r.testLoss]),
  );
});
