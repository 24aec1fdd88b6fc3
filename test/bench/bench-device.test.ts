/**
 * `gradscope bench --device`: the device is a parameter of the bench end to end. On the CPU the
 * table is the one it always was (both sides timed, PyTorch's settings as before, results.json
 * naming the device); a GPU asked for where libtorch has no CUDA or sees none is one line and
 * exit 2, nothing written. On a GPU (scripts/device-check.sh) the same table is timed there.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { deviceInfo } from '../../src/engine/device';
import { gradscope } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { pythonHas } from '../fixtures/python-has';

const dir = tempDir('gradscope-bench-device-');
const info = deviceInfo();
const gpu = info.cuda && info.gpus > 0;
const python = process.env.GRADSCOPE_PYTHON ?? '/usr/bin/python3';
const torch = pythonHas(python, 'torch');

interface Results {
  device: string;
  note: string;
  rows: {
    id: string;
    gradscopeMs: number;
    pytorchDefaultMs: number | null;
    pytorchDefaultAtLeastMs: number | null;
    pytorchBestSetting: string | null;
    gradscopeThreads: unknown;
  }[];
}

function bench(device: string, out: string): Results {
  const r = gradscope(
    'bench',
    '--quick',
    '--only',
    'C1 Experiment B point K=2',
    '--device',
    device,
    '--out',
    out,
    '--quiet',
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as Results;
}

test('bench --device cpu: the CPU table, both sides timed, the device named in results.json', () => {
  const results = bench('cpu', path.join(dir, 'cpu.json'));
  assert.equal(results.device, 'cpu');
  assert.equal(results.rows.length, 1);
  const row = results.rows[0]!;
  assert.match(row.id, /^C1 Experiment B point/);
  assert.ok(row.gradscopeMs > 0);
  assert.ok(row.gradscopeThreads !== null, 'CPU thread settings reported');
  if (torch) {
    // timed, or stopped once clearly slower than the best setting
    assert.ok((row.pytorchDefaultMs ?? row.pytorchDefaultAtLeastMs ?? 0) > 0, results.note);
    assert.match(row.pytorchBestSetting!, /^(defaults|\d+ threads?, channels-last, memory kept)$/);
  } else assert.match(results.note, /^no PyTorch comparison/);
});

test('bench --device cuda without CUDA or a GPU: one line, exit 2, nothing written', (t) => {
  if (gpu) return t.skip('this machine has a GPU that libtorch sees');
  const out = path.join(dir, 'cuda.json');
  const r = gradscope('bench', '--quick', '--device', 'cuda', '--out', out);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0]!,
    /^gradscope: --device cuda: (the libtorch gradscope was built against has no CUDA|libtorch sees no GPU)/,
  );
  assert.ok(!fs.existsSync(out));
});

test('GPU: bench --device cuda times both sides on the GPU', (t) => {
  if (!gpu) return t.skip('no GPU that libtorch sees');
  const results = bench('cuda', path.join(dir, 'gpu.json'));
  assert.equal(results.device, 'cuda:0');
  const row = results.rows[0]!;
  assert.equal(row.gradscopeThreads, null);
  assert.ok(row.gradscopeMs > 0);
  if (row.pytorchBestSetting === null) assert.match(results.note, /^no PyTorch comparison/);
  else assert.match(results.note, /on cuda:0; both sides CUDA-synchronised/);
});
