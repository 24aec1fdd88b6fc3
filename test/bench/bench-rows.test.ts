/**
 * The bench rows of issue 14 and of issue 29 (the live noise scale's cost) and the settings of
 * TorchScript modules: `gradscope bench` times
 * ResNet20 against PyTorch's build of the module `gradscope export ResNet20 --pytorch` prints,
 * and the TorchScript path against the built-in network; a TorchScript module with
 * convolutions runs with the convolutional networks' settings, one without with the fully
 * connected ones (the family is read from the archive, as the layer list says it for a
 * built-in network).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { threadsFor } from '../../src/engine/threads';
import { torchScriptSpec } from '../../src/engine/torchscript';
import { networkFamily } from '../../src/engine/tuning';
import { networkSpec } from '../../src/models';
import { DEFAULT_NOISE_SCALE_EVERY } from '../../src/train/noise-scale';
import { gradscope } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { pythonHas } from '../fixtures/python-has';

const python = process.env.GRADSCOPE_PYTHON ?? '/usr/bin/python3';
const torchMissing = !pythonHas(python, 'torch')
  ? `PyTorch is not importable from ${python}`
  : undefined;

type How = 'script' | 'trace';

/** `gradscope export NAME --pytorch` of each of `names`, scripted and traced by PyTorch (one
 * Python process for them all) and saved; the files, by name and how. */
function saved(dir: string, names: readonly string[]): Map<string, Record<How, string>> {
  const files = new Map<string, Record<How, string>>();
  const args: string[] = [];
  for (const name of names) {
    const exported = gradscope('export', name, '--pytorch');
    assert.equal(exported.status, 0, exported.stderr);
    const module = path.join(dir, `${name.toLowerCase()}.py`);
    fs.writeFileSync(module, exported.stdout);
    const [c, h, w] = networkSpec(name).input;
    const file = (how: How) => path.join(dir, `${name}-${how}.ts.pt`);
    files.set(name, { script: file('script'), trace: file('trace') });
    args.push(module, JSON.stringify([c, h, w]), file('script'), file('trace'));
  }
  const script = [
    'import importlib.util, json, sys, torch',
    'for i in range(1, len(sys.argv), 4):',
    '    module, shape, scripted, traced = sys.argv[i:i + 4]',
    '    spec = importlib.util.spec_from_file_location("exported", module)',
    '    m = importlib.util.module_from_spec(spec)',
    '    spec.loader.exec_module(m)',
    '    torch.jit.script(m.network()).save(scripted)',
    '    torch.jit.trace(m.network().eval(), torch.rand(2, *json.loads(shape))).save(traced)',
  ].join('\n');
  const run = spawnSync(python, ['-c', script, ...args], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return files;
}

test(
  'a TorchScript module runs with the settings of its family: convolutions or none',
  { skip: torchMissing },
  () => {
    const dir = tempDir('gradscope-bench-family-');
    const families = [
      ['ResNet20', 'convolutional'],
      ['C1', 'convolutional'],
      ['F1', 'fully-connected'],
    ] as const;
    const files = saved(
      dir,
      families.map(([name]) => name),
    );
    for (const how of ['script', 'trace'] as const) {
      for (const [name, family] of families) {
        const spec = torchScriptSpec(files.get(name)![how]);
        assert.equal(networkFamily(spec), family, `${how}d ${name}`);
        assert.equal(networkFamily(networkSpec(name)), family, `built-in ${name}`);
        // the same rule as the built-in network of that architecture (the same Linear kernels)
        const { torch, blas } = threadsFor(spec);
        const builtIn = threadsFor(networkSpec(name));
        assert.deepEqual({ torch, blas }, { torch: builtIn.torch, blas: builtIn.blas }, name);
      }
    }
    const notAnArchive = path.join(dir, 'empty.ts.pt');
    fs.writeFileSync(notAnArchive, '');
    assert.equal(networkFamily(torchScriptSpec(notAnArchive)), 'fully-connected');
  },
);

test(
  'bench --quick --only ResNet20: ResNet20 against PyTorch, the TorchScript path against the built-in network',
  { skip: torchMissing },
  () => {
    const dir = tempDir('gradscope-bench-rows-');
    const out = path.join(dir, 'results.json');
    const r = gradscope('bench', '--quick', '--only', 'ResNet20', '--out', out, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    const results = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      rows: { id: string; gradscopeMs: number; pytorchBestMs: number | null }[];
      torchscript: { id: string; torchscriptMs: number; builtInMs: number }[];
    };
    assert.deepEqual(
      results.rows.map((row) => row.id),
      ['ResNet20 step B=8', 'ResNet20 population gradient N=16'],
    );
    for (const row of results.rows) {
      assert.ok(row.gradscopeMs > 0, row.id);
      // PyTorch ran the exported ResNet20 (a failure to build it fails the bench)
      assert.ok(row.pytorchBestMs !== null && row.pytorchBestMs > 0, row.id);
    }
    assert.deepEqual(
      results.torchscript.map((row) => row.id),
      ['ResNet20 step B=8'],
    );
    const [scripted] = results.torchscript;
    // the built-in network is timed again beside the module, their batches alternated
    assert.ok(scripted!.torchscriptMs > 0 && scripted!.builtInMs > 0);
    assert.match(r.stdout, /\| ResNet20 step B=8 \| [\d.]+ \| [\d.]+ \| [\d.]+ \|\n/);
  },
);

test('bench --quick --only "live noise": F1 epochs with the live noise scale off, at its default interval and at every step', () => {
  const dir = tempDir('gradscope-bench-noise-');
  const out = path.join(dir, 'results.json');
  const r = gradscope('bench', '--quick', '--only', 'live noise', '--out', out, '--quiet');
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(fs.readFileSync(out, 'utf8')) as {
    rows: unknown[];
    noiseScale: {
      id: string;
      every: number;
      offMs: number;
      defaultMs: number;
      everyStepMs: number;
      subsample: number;
      everyStepSubsampleMs: number;
    };
  };
  assert.deepEqual(results.rows, []);
  const row = results.noiseScale;
  assert.equal(row.id, 'F1 training epoch with the live noise scale at its default interval');
  assert.equal(row.every, DEFAULT_NOISE_SCALE_EVERY);
  assert.ok(row.offMs > 0 && row.defaultMs > 0 && row.everyStepMs > 0);
  assert.ok(row.subsample === 16 && row.everyStepSubsampleMs > 0);
  assert.match(
    r.stdout,
    /\| F1 training epoch with the live noise scale at its default interval \| \d+ \| \d+ \| \d+ \| \d+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|\n/,
  );
});
