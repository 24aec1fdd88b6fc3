/**
 * Residual networks: ResNet20 and WRN16-4 give the forward pass and gradient of the PyTorch
 * module `gradscope export --pytorch` prints, with the same weights, in float64; the gradient
 * through a residual block (projection and identity shortcuts) agrees with finite differences;
 * recalibrated batch-norm statistics inside blocks equal PyTorch's layer-by-layer ones.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { Dataset } from '../../src/engine/dataset';
import type { NetworkSpec } from '../../src/engine/layers';
import { Network } from '../../src/engine/network';
import { networkSpec } from '../../src/models';
import { pytorchModule } from '../../src/models/pytorch-module';
import { saveNetwork } from '../../src/engine/checkpoint';
import { randomSource, range, relativeError, scrambleStatistics } from '../fixtures/helpers';
import { pythonHas } from '../fixtures/python-has';

const python = process.env.GRADSCOPE_PYTHON ?? '/usr/bin/python3';
const torchMissing = !pythonHas(python, 'torch')
  ? `PyTorch is not importable from ${python}`
  : undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-residual-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const scripts = path.join(__dirname, '..', '..', '..', 'scripts');

/** The exported module, the weights and the data in PyTorch: logits, loss and gradient in
 * eval (population) and train (batch) mode, and the recalibrated statistics. */
function inPyTorch(spec: NetworkSpec, weights: string, source: ReturnType<typeof randomSource>) {
  const moduleFile = path.join(dir, `${spec.name}.py`);
  fs.writeFileSync(moduleFile, pytorchModule(spec));
  const args = path.join(dir, 'args.json');
  fs.writeFileSync(
    args,
    JSON.stringify({ pixels: Array.from(source.pixels), labels: Array.from(source.labels) }),
  );
  const program = `
import importlib.util, json, sys, torch
import torch.nn.functional as F
sys.path.insert(0, ${JSON.stringify(scripts)})
from safetensors_load import load_file
spec = importlib.util.spec_from_file_location("exported", ${JSON.stringify(moduleFile)})
exported = importlib.util.module_from_spec(spec)
spec.loader.exec_module(exported)
args = json.load(open(${JSON.stringify(args)}))
model = exported.network().double()
state = load_file(${JSON.stringify(weights)})
model.load_state_dict(state, strict=True)
# gradscope holds examples as float32 in [0, 1], gathered in the network's dtype
x = (torch.tensor(args["pixels"], dtype=torch.uint8).reshape(-1, ${spec.input.join(', ')}).float() / 255).double()
y = torch.tensor(args["labels"])
result = {}
for mode in ("population", "batch"):
    model.load_state_dict(state)
    model.train(mode == "batch")
    model.zero_grad()
    out = model(x)
    loss = F.cross_entropy(out, y)
    loss.backward()
    result[mode] = {"loss": loss.item(), "logits": out.detach().flatten().tolist(),
                    "gradient": torch.cat([p.grad.flatten() for p in model.parameters()]).tolist()}
# recalibration: each batch norm in turn from its eval-mode input over all examples
model.load_state_dict(state)
model.eval()
stats = []
with torch.no_grad():
    for bn in [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]:
        held = []
        hook = bn.register_forward_pre_hook(lambda m, i: held.append(i[0]))
        model(x)
        hook.remove()
        h = held[0]
        bn.running_mean.copy_(h.mean((0, 2, 3)))
        bn.running_var.copy_(h.var((0, 2, 3), unbiased=True))
        stats += bn.running_mean.tolist() + bn.running_var.tolist()
result["statistics"] = stats
print(json.dumps(result))
`;
  const run = spawnSync(python, ['-c', program], { encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<
    'population' | 'batch',
    { loss: number; logits: number[]; gradient: number[] }
  > & { statistics: number[] };
}

for (const name of ['ResNet20', 'WRN16-4']) {
  test(`${name} equals the exported PyTorch module in float64: logits, loss, gradient`, (t) => {
    if (torchMissing) return t.skip(torchMissing);
    const spec = networkSpec(name);
    const source = randomSource(4, [3, 32, 32], 10, 5);
    const data = new Dataset('random', 10, source);
    const net = new Network(spec, { seed: 3, dtype: 'float64' });
    scrambleStatistics(net.statistics, net.statisticsTable);
    const weights = path.join(dir, `${name}.safetensors`);
    saveNetwork(weights, net, { epoch: 0, step: 0, extra: {} });
    const theirs = inPyTorch(spec, weights, source);
    for (const mode of ['population', 'batch'] as const) {
      const ours = net.gradient(data, range(4), { mode });
      const gradient = Float64Array.from(net.gradients);
      assert.ok(Math.abs(ours.loss - theirs[mode].loss) < 1e-10 * theirs[mode].loss, mode);
      const err = relativeError(gradient, theirs[mode].gradient);
      assert.ok(err < 1e-10, `${mode} gradient relative error ${err}`);
      // forward only (population mode folds conv and batch norm, inside blocks too)
      const logits = net.logits(data, range(4), { mode });
      const logitErr = relativeError(logits, theirs[mode].logits);
      assert.ok(logitErr < 1e-10, `${mode} logits relative error ${logitErr}`);
    }
    assert.equal(net.evaluate(data, range(4)).count, 4);
    net.recalibrate(data, range(4), { chunk: 3 });
    const err = relativeError(net.statistics, theirs.statistics);
    assert.ok(err < 1e-10, `recalibrated statistics relative error ${err}`);
  });
}

test('the gradient through residual blocks agrees with finite differences', () => {
  const spec: NetworkSpec = {
    name: 'blocks',
    input: [2, 5, 5],
    classes: 3,
    layers: [
      {
        type: 'residual',
        branch: [
          { type: 'conv2d', out: 3, kernel: 3, stride: 2, padding: 1, bias: false },
          { type: 'batchnorm2d' },
          { type: 'relu' },
          { type: 'conv2d', out: 3, kernel: 3, padding: 1, bias: true },
        ],
        shortcut: [
          { type: 'conv2d', out: 3, kernel: 1, stride: 2, bias: false },
          { type: 'batchnorm2d' },
        ],
      },
      {
        type: 'residual',
        branch: [{ type: 'conv2d', out: 3, kernel: 3, padding: 1 }],
        activation: 'none',
      },
      { type: 'globalavgpool' },
      { type: 'linear', out: 3 },
    ],
  };
  const data = new Dataset('random', 3, randomSource(6, [2, 5, 5], 3, 8));
  const net = new Network(spec, { seed: 2, dtype: 'float64' });
  scrambleStatistics(net.statistics, net.statisticsTable);
  assert.deepEqual(
    net.parameterTable.map((p) => p.name),
    [
      '0.branch.0.weight',
      '0.branch.1.weight',
      '0.branch.1.bias',
      '0.branch.3.weight',
      '0.branch.3.bias',
      '0.shortcut.0.weight',
      '0.shortcut.1.weight',
      '0.shortcut.1.bias',
      '1.branch.0.weight',
      '1.branch.0.bias',
      '3.weight',
      '3.bias',
    ],
  );
  for (const mode of ['population', 'batch'] as const) {
    net.gradient(data, range(6), { mode });
    const g = Float64Array.from(net.gradients);
    const h = 1e-6;
    for (let i = 0; i < net.parameterCount; i += 7) {
      const w = net.parameters[i]!;
      net.parameters[i] = w + h;
      const up = net.evaluate(data, range(6), { mode }).loss;
      net.parameters[i] = w - h;
      const down = net.evaluate(data, range(6), { mode }).loss;
      net.parameters[i] = w;
      const fd = (up - down) / (2 * h);
      assert.ok(Math.abs(fd - g[i]!) < 1e-7 * Math.max(1, Math.abs(fd)), `${mode} w[${i}]`);
    }
  }
});

test('a residual block whose branch and shortcut disagree is refused, naming the block', () => {
  assert.throws(
    () =>
      new Network({
        name: 'bad',
        input: [2, 4, 4],
        classes: 2,
        layers: [
          { type: 'residual', branch: [{ type: 'conv2d', out: 3, kernel: 1 }] },
          { type: 'flatten' },
          { type: 'linear', out: 2 },
        ],
      }),
    /layers\[0\]: the branch gives \[3, 4, 4\] but the shortcut gives \[2, 4, 4\]/,
  );
});
