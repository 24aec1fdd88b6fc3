/**
 * gradscope against PyTorch itself (Debian's python3-torch), when it is installed:
 * a checkpoint loads into the equivalent nn.Sequential and gives the same test
 * loss; the same seed gives the same initial weights; gradients agree.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { resolveNetwork } from '../../src/engine/layers';
import { Network } from '../../src/engine/network';
import { Optimizer } from '../../src/engine/optimizer';
import { saveNetwork } from '../../src/engine/checkpoint';
import { everyLayer, randomSource, range } from '../fixtures/helpers';
import { Dataset } from '../../src/engine/dataset';
import { pythonHas } from '../fixtures/python-has';

const python = process.env.GRADSCOPE_PYTHON ?? '/usr/bin/python3';
const torchMissing = !pythonHas(python, 'torch')
  ? `PyTorch is not importable from ${python} (Debian: apt-get install python3-torch)`
  : undefined;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-pytorch-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const scripts = path.join(__dirname, '..', '..', '..', 'scripts');

/** Runs Python with the checkpoint, the data and the layer list; returns its JSON. */
function inPyTorch(code: string, args: Record<string, unknown>): Record<string, unknown> {
  const file = path.join(dir, 'args.json');
  fs.writeFileSync(file, JSON.stringify(args));
  const program = `
import json, sys, torch
import torch.nn.functional as F
sys.path.insert(0, ${JSON.stringify(scripts)})
from torch_sequential import build
from safetensors_load import load_file
args = json.load(open(${JSON.stringify(file)}))
torch.set_default_dtype(torch.float64 if args.get("float64") else torch.float32)
${code}
`;
  const run = spawnSync(python, ['-c', program], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

test('a gradscope checkpoint loads into nn.Sequential and gives the same test loss', (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const source = randomSource(40, [2, 6, 6], 3, 99);
  const data = new Dataset('random', 3, source);
  const net = new Network(everyLayer(), { seed: 4 });
  const opt = new Optimizer(net, { kind: 'adam', lr: 1e-2 });
  for (let i = 0; i < 5; i++) {
    net.gradient(data, range(20, (i % 2) * 20), { mode: 'train' });
    opt.step();
  }
  const file = path.join(dir, 'net.safetensors');
  saveNetwork(file, net, { epoch: 5, step: 5, extra: {} });
  const ours = net.evaluate(data, data.all(), { mode: 'population' });
  const theirs = inPyTorch(
    `
model = build(args["layers"])
model.load_state_dict(load_file(args["file"]), strict=True)
model.eval()
x = torch.tensor(args["pixels"], dtype=torch.uint8).reshape(-1, 2, 6, 6).float() / 255
y = torch.tensor(args["labels"])
with torch.no_grad():
    out = model(x)
print(json.dumps({"loss": F.cross_entropy(out, y).item(), "correct": int((out.argmax(1) == y).sum())}))
`,
    {
      layers: resolveNetwork(everyLayer()).layers,
      file,
      pixels: Array.from(source.pixels),
      labels: Array.from(source.labels),
    },
  );
  assert.ok(
    Math.abs((theirs.loss as number) - ours.loss) < 1e-5 * ours.loss,
    `${theirs.loss} vs ${ours.loss}`,
  );
  assert.equal(theirs.correct, ours.correct);
});

test('the same seed gives the same initial weights as PyTorch', (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const net = new Network(everyLayer(), { seed: 123 });
  const theirs = inPyTorch(
    `
torch.manual_seed(123)
model = build(args["layers"])
print(json.dumps({"w": torch.cat([p.detach().reshape(-1) for p in model.parameters()]).tolist()}))
`,
    { layers: resolveNetwork(everyLayer()).layers },
  );
  assert.deepEqual(Float32Array.from(theirs.w as number[]), net.parameters);
});

test('gradients agree with PyTorch in batch and population modes (float64)', (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const source = randomSource(24, [2, 6, 6], 3, 5);
  const data = new Dataset('random', 3, source);
  const net = new Network(everyLayer(), { seed: 8, dtype: 'float64' });
  const file = path.join(dir, 'grad.safetensors');
  // non-trivial running statistics
  for (let i = 0; i < net.statistics.length; i++) net.statistics[i] = 0.5 + 0.01 * i;
  saveNetwork(file, net, { epoch: 0, step: 0, extra: {} });
  const results: Record<string, number[]> = {};
  for (const mode of ['batch', 'population'] as const) {
    net.gradient(data, data.all(), { mode });
    results[mode] = Array.from(net.gradients);
  }
  const theirs = inPyTorch(
    `
model = build(args["layers"])
model.load_state_dict(load_file(args["file"]))
model.double()
# pixels as gradscope holds them: float32(byte) / 255, then widened
x = (torch.tensor(args["pixels"], dtype=torch.uint8).reshape(-1, 2, 6, 6).float() / 255).double()
y = torch.tensor(args["labels"])
out = {}
for mode in ["batch", "population"]:
    model.train() if mode == "batch" else model.eval()
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout): m.eval()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and mode == "batch": m.track_running_stats = False
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    out[mode] = torch.cat([p.grad.reshape(-1) for p in model.parameters()]).tolist()
print(json.dumps(out))
`,
    {
      float64: true,
      layers: resolveNetwork(everyLayer()).layers,
      file,
      pixels: Array.from(source.pixels),
      labels: Array.from(source.labels),
    },
  );
  for (const mode of ['batch', 'population']) {
    const a = results[mode]!;
    const b = theirs[mode] as number[];
    let num = 0;
    let den = 0;
    for (let i = 0; i < a.length; i++) {
      num += (a[i]! - b[i]!) ** 2;
      den += b[i]! ** 2;
    }
    assert.ok(Math.sqrt(num / den) < 1e-10, `${mode}: relative error ${Math.sqrt(num / den)}`);
  }
});
