/**
 * A TorchScript module's Linear layers run as the built-in networks' do (native/script.cc
 * rewrites its aten::linear to gradscope::linear, native/linear.cc): through oneDNN in
 * float32 on the CPU, with the `linear` setting choosing. A scripted module with a Linear
 * layer on 3-dimensional input (leading dimensions flattened) and one on 2-dimensional input:
 * its float32 gradient and Hessian-vector product (second derivatives through oneDNN's
 * products) equal PyTorch's own float64 ones to float32 rounding, with oneDNN and with BLAS,
 * and the two kernels are not bit-identical (so the oneDNN path is taken); the scripted F1
 * gives the built-in F1's gradient with the same weights bit for bit.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { loadData } from '../../src/data/load';
import { Network } from '../../src/engine/network';
import { setThreads } from '../../src/engine/threads';
import { torchScriptSpec } from '../../src/engine/torchscript';
import { networkSpec } from '../../src/models';
import { tempDir } from '../fixtures/data-fixtures';
import { copyOf, randomDataset, range, relativeError } from '../fixtures/helpers';
import {
  numpyOrTorchMissing,
  runPythonFile,
  scriptedWithWeights,
  torchMissing,
} from '../fixtures/torchscript-fixtures';

const dir = tempDir('gradscope-torchscript-linear-');
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const N = 40;

const PYTHON = `
import json, sys, numpy as np, torch
from torch import nn
import torch.nn.functional as F
out = sys.argv[1]

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rows = nn.Linear(8, 5)
        self.head = nn.Linear(30, 3)
    def forward(self, x):
        h = torch.tanh(self.rows(x.squeeze(1)))  # [N, 6, 8] -> [N, 6, 5]
        return self.head(h.flatten(1))

torch.manual_seed(0)
model = Net()
torch.jit.script(model).save(out + "/model.ts.pt")
rng = np.random.default_rng(0)
x = rng.integers(0, 256, (${N}, 1, 6, 8), dtype=np.uint8)
y = rng.integers(0, 3, ${N})
np.savez(out + "/data.npz", x_train=x, y_train=y, x_test=x[:4], y_test=y[:4])
xs = (torch.from_numpy(x).float() / 255).double()
ys = torch.from_numpy(y)
model.double().eval()
params = list(model.parameters())
count = sum(p.numel() for p in params)
# v as gradscope's float32 vector holds it
v = torch.sin(torch.arange(1, count + 1, dtype=torch.float64)).float().double()
loss = F.cross_entropy(model(xs), ys)
grads = torch.autograd.grad(loss, params, create_graph=True)
flat = torch.cat([g.flatten() for g in grads])
hv = torch.autograd.grad((flat * v).sum(), params)
print(json.dumps({"gradient": flat.tolist(), "hv": torch.cat([h.flatten() for h in hv]).tolist()}))
`;

test("a TorchScript module's Linear layers through oneDNN: PyTorch's float64 gradient and Hessian-vector product", (t) => {
  if (numpyOrTorchMissing) return t.skip(numpyOrTorchMissing);
  const theirs = JSON.parse(runPythonFile(dir, 'make_model.py', PYTHON, dir)) as {
    gradient: number[];
    hv: number[];
  };
  const file = path.join(dir, 'model.ts.pt');
  const data = loadData(path.join(dir, 'data.npz')).train;
  const ours = (linear: 'onednn' | 'blas') => {
    setThreads({ linear });
    const net = new Network(torchScriptSpec(file), { dtype: 'float32' });
    net.gradient(data, range(N), { mode: 'population' });
    const gradient = copyOf(net.readGradients());
    const v = new Float32Array(net.parameterCount).map((_, i) => Math.sin(i + 1));
    const out = new Float32Array(net.parameterCount);
    net.hessianVector(data, range(N), v, out, { mode: 'population' });
    return { gradient, hv: copyOf(out) };
  };
  const oneDnn = ours('onednn');
  const blas = ours('blas');
  setThreads();
  for (const [name, r] of [
    ['oneDNN', oneDnn],
    ['BLAS', blas],
  ] as const) {
    // float32's epsilon is 1.2e-7, sums over 40 examples: 1e-5; H v differentiates twice: 1e-4
    const g = relativeError(r.gradient, theirs.gradient);
    assert.ok(g < 1e-5, `${name}: gradient relative error ${g}`);
    const h = relativeError(r.hv, theirs.hv);
    assert.ok(h < 1e-4, `${name}: Hessian-vector product relative error ${h}`);
  }
  assert.ok(
    oneDnn.gradient.some((v, i) => v !== blas.gradient[i]),
    "oneDNN and BLAS gave bit-identical gradients: the module's aten::linear was not rewritten",
  );
});

test('a scripted F1 gives the built-in F1 gradient bit for bit (the same Linear kernels)', (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const builtIn = new Network(networkSpec('F1'), { seed: 0 });
  const module = new Network(torchScriptSpec(scriptedWithWeights('F1', builtIn, dir)), {});
  const data = randomDataset(300, [1, 28, 28], 10, 3);
  for (const mode of ['train', 'population'] as const) {
    for (const net of [builtIn, module]) net.gradient(data, range(300), { mode, chunk: 100 });
    const a = builtIn.readGradients();
    const b = module.readGradients();
    assert.ok(
      a.every((x, i) => x === b[i]),
      `${mode}: relative difference ${relativeError(b, a)}`,
    );
  }
});
