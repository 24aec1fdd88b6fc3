/**
 * A small study (`gradscope run CONFIG`) on a TorchScript F1 holding the built-in F1's
 * seed-0 initial weights, and the same study on the built-in F1: both write the report,
 * Experiment B's analysis files, the line, sharpness and the trajectory, and every number of
 * Experiment B (every analysis file's numbers, at every analysed epoch of process 1 and the
 * arms) agrees to 1e-4 relative in float32 (two implementations trained side by side:
 * gradscope's own layers, PyTorch's modules run by libtorch's interpreter). Both run their
 * Linear layers in the same kernels (the module's aten::linear is rewritten to gradscope's):
 * with different kernels, Adam's first steps (about lr times the sign of each gradient entry)
 * turn rounding differences into a 1.4e-3 relative difference of the first epoch's training
 * loss and 5% in arm 100's d, a difference of kernels, not of the implementations.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { Network } from '../../src/engine/network';
import { networkSpec } from '../../src/models';
import { gradscope } from '../fixtures/cli-fixtures';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { scriptedWithWeights, torchMissing } from '../fixtures/torchscript-fixtures';

const TOLERANCE = 1e-4;
const dir = tempDir('gradscope-torchscript-study-');

function writeConfig(network: string, name: string): string {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      name: `small study, ${name}`,
      scale: 'demo',
      network,
      data: path.join(dir, 'data'),
      seeds: [0],
      process1: { batchSize: 20, epochs: 2 },
      process2: { arms: [20, 100], epochs: 1 },
      analysis: {
        every: 2,
        batchSizes: [20, 100],
        armEvery: 1,
        armBatchSizes: [20, 100],
        samples: 4,
        mode: 'population',
        draws: 'nested',
      },
      lines: { alpha: '-1:2:4', bn: 'recalibrate', sampleSize: 100 },
      sharpness: {
        eps: [0.001],
        subspace: 0,
        iterations: 2,
        topK: 1,
        hutchinson: 2,
        hessianSample: 50,
      },
      trajectory: { points: 3, sampleSize: 100, evalSize: 100 },
    }),
  );
  return file;
}

/** Every number in a JSON value, with its path; timings and paths left out. */
function numbers(value: unknown, at = ''): [string, number][] {
  // timings, and the memory and blocks of the built-in network's layer signals (a TorchScript
  // module's draws are recomputed: null), are not results
  if (typeof value === 'number')
    return /seconds|persecond|signalBytes|signalBlocks/i.test(at) ? [] : [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbers(v, `${at}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => numbers(v, `${at}.${k}`));
  return [];
}

test(
  'a small study runs on a TorchScript F1 and its Experiment B equals the built-in F1 study',
  { timeout: 180_000 },
  (t) => {
    if (torchMissing) return t.skip(torchMissing);
    fs.mkdirSync(path.join(dir, 'data'));
    writeIdxFolder(path.join(dir, 'data'), false, [300, 60]);
    const file = scriptedWithWeights('F1', new Network(networkSpec('F1'), { seed: 0 }), dir);
    const runs = { builtIn: path.join(dir, 'built-in'), script: path.join(dir, 'script') };
    for (const [name, network] of [
      ['builtIn', 'F1'],
      ['script', file],
    ] as const) {
      const r = gradscope(
        'run',
        writeConfig(network, name),
        '--threads',
        '1',
        '--quiet',
        '--out',
        runs[name],
      );
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    }
    const analysis = (run: string) => path.join(run, 'seeds', '0', 'analysis');
    for (const run of Object.values(runs)) {
      for (const f of ['report.html', 'report.json', 'tables/gradients.md'])
        assert.ok(fs.existsSync(path.join(run, f)), `${run}: ${f}`);
      assert.deepEqual(fs.readdirSync(path.join(run, 'lines')), ['seed-0-arm-20-arm-100.json']);
      assert.equal(fs.readdirSync(path.join(run, 'sharpness')).length, 2);
      assert.ok(fs.existsSync(path.join(run, 'trajectories', 'seed-0.json')));
    }
    const files = fs.readdirSync(analysis(runs.builtIn)).sort();
    assert.deepEqual(files, [
      'arm-100-epoch-3.json',
      'arm-20-epoch-3.json',
      'process1-epoch-2.json',
    ]);
    assert.deepEqual(fs.readdirSync(analysis(runs.script)).sort(), files);
    for (const f of files) {
      const read = (run: string) =>
        numbers(JSON.parse(fs.readFileSync(path.join(analysis(run), f), 'utf8')));
      const ours = read(runs.builtIn);
      const theirs = new Map(read(runs.script));
      assert.ok(ours.length > 10, `${f}: numbers`);
      for (const [at, x] of ours) {
        const y = theirs.get(at);
        assert.ok(y !== undefined, `${f} ${at}: missing in the TorchScript study`);
        assert.ok(
          Math.abs(y - x) <= TOLERANCE * Math.max(Math.abs(x), 1e-6),
          `${f} ${at}: TorchScript ${y}, built-in ${x}`,
        );
      }
    }
  },
);
