/**
 * TorchScript modules as networks: a scripted module with batch norm, a skip connection and
 * dropout, saved by torch.jit.script(model).save, loaded with --network model.ts.pt: its
 * parameters live in the flat vector w (writes to w change the module), its state_dict names
 * are PyTorch's, and loss and gradient equal PyTorch's in float64 in both batch-norm modes
 * (batch mode leaves the running statistics as they were); `analyze gradients` runs on it, and
 * `analyze line --bn recalibrate` gives PyTorch's loss with the recalibrated batch norm.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { loadData } from '../../src/data/load';
import { Network } from '../../src/engine/network';
import { torchScriptSpec } from '../../src/engine/torchscript';
import { stateDict } from '../../src/engine/state-dict';
import { gradscope } from '../fixtures/cli-fixtures';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { range, relativeError } from '../fixtures/helpers';
import { numpyOrTorchMissing, runPythonFile } from '../fixtures/torchscript-fixtures';

const dir = tempDir('gradscope-torchscript-');
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const PYTHON = `
import json, sys, numpy as np, torch
from torch import nn
import torch.nn.functional as F
out = sys.argv[1]

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(3)
    def forward(self, x):
        return torch.relu(x + self.bn(self.conv(x)))

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(3 * 8 * 8, 4)
    def forward(self, x):
        return self.head(self.drop(self.block(x).flatten(1)))

torch.manual_seed(0)
model = Net()
with torch.no_grad():
    model.block.bn.running_mean.uniform_(-0.3, 0.3)
    model.block.bn.running_var.uniform_(0.5, 1.5)
torch.jit.script(model).save(out + "/model.ts.pt")
rng = np.random.default_rng(0)
x = rng.integers(0, 256, (10, 3, 8, 8), dtype=np.uint8)
y = rng.integers(0, 4, 10)
np.savez(out + "/data.npz", x_train=x, y_train=y, x_test=x[:4], y_test=y[:4])
xs = (torch.from_numpy(x).float() / 255).double()
ys = torch.from_numpy(y)
model.double()
result = {"names": list(model.state_dict().keys())}
for mode in ("population", "batch"):
    model.train(mode == "batch")
    model.drop.eval()
    model.zero_grad()
    loss = F.cross_entropy(model(xs), ys)
    loss.backward()
    result[mode] = {"loss": loss.item(), "gradient": torch.cat([p.grad.flatten() for p in model.parameters()]).tolist()}
# batch norm recalibrated on the 10 examples: its input's per-channel mean and unbiased variance
with torch.no_grad():
    h = model.block.conv(xs)
    model.block.bn.running_mean.copy_(h.mean((0, 2, 3)))
    model.block.bn.running_var.copy_(h.var((0, 2, 3), unbiased=True))
    model.eval()
    result["recalibrated"] = F.cross_entropy(model(xs), ys).item()
print(json.dumps(result))
`;

test('a TorchScript module is a network: flat parameters, PyTorch names, loss and gradient', (t) => {
  if (numpyOrTorchMissing) return t.skip(numpyOrTorchMissing);
  const theirs = JSON.parse(runPythonFile(dir, 'make_model.py', PYTHON, dir)) as {
    names: string[];
    population: { loss: number; gradient: number[] };
    batch: { loss: number; gradient: number[] };
    recalibrated: number;
  };
  const file = path.join(dir, 'model.ts.pt');
  const net = new Network(torchScriptSpec(file), { dtype: 'float64' });
  assert.deepEqual(
    stateDict(net).map((t) => t.name),
    theirs.names,
  );
  const data = loadData(path.join(dir, 'data.npz')).train;
  const statistics = Float64Array.from(net.statistics);
  for (const mode of ['population', 'batch'] as const) {
    const ours = net.gradient(data, range(10), { mode });
    assert.ok(Math.abs(ours.loss - theirs[mode].loss) < 1e-10 * theirs[mode].loss, mode);
    const err = relativeError(net.gradients, theirs[mode].gradient);
    assert.ok(err < 1e-10, `${mode} gradient relative error ${err}`);
  }
  assert.deepEqual(Float64Array.from(net.statistics), statistics, 'batch mode changes nothing');
  // w is the module's own parameters: the same shift of every class score changes nothing,
  // one class's alone does
  const before = net.evaluate(data, range(10)).loss;
  const bias = net.parameterTable.find((p) => p.name === 'head.bias')!;
  for (let i = bias.offset; i < bias.offset + bias.size; i++) net.parameters[i] += 5;
  const shifted = net.evaluate(data, range(10)).loss;
  assert.ok(Math.abs(shifted - before) < 1e-12, 'equal biases shift no softmax');
  net.parameters[bias.offset] = 50;
  assert.notEqual(net.evaluate(data, range(10)).loss, before);

  const cli = gradscope(
    ...['analyze', 'gradients', '--network', file, '--data', path.join(dir, 'data.npz')],
    ...['--batch-sizes', '4', '--samples', '1', '--json', '--quiet'],
  );
  assert.equal(cli.status, 0, cli.stderr);
  const result = JSON.parse(cli.stdout) as { trainLoss: number };
  assert.ok(Math.abs(result.trainLoss - theirs.population.loss) < 1e-5 * theirs.population.loss);

  // a line between two modules (here the same one): the loss at every alpha is the module's
  const line = gradscope(
    ...['analyze', 'line', '--from', file, '--to', file, '--network', file],
    ...['--data', path.join(dir, 'data.npz'), '--alpha', '0:1:2', '--bn', 'interpolate'],
    ...['--json', '--quiet'],
  );
  assert.equal(line.status, 0, line.stderr);
  const points = (JSON.parse(line.stdout) as { points: { train: { loss: number } }[] }).points;
  for (const p of points)
    assert.ok(Math.abs(p.train.loss - theirs.population.loss) < 1e-5 * theirs.population.loss);
  // recalibrated at every point on the 10 training examples: PyTorch's loss after setting the
  // running statistics to the batch norm input's mean and unbiased variance
  const recalibrated = gradscope(
    ...['analyze', 'line', '--from', file, '--to', file, '--network', file],
    ...['--data', path.join(dir, 'data.npz'), '--alpha', '0:1:2', '--bn', 'recalibrate'],
    ...['--sample-size', '10', '--json', '--quiet'],
  );
  assert.equal(recalibrated.status, 0, recalibrated.stderr);
  const expected = theirs.recalibrated;
  assert.ok(Math.abs(expected - theirs.population.loss) > 1e-3, 'recalibration changes the loss');
  for (const p of (JSON.parse(recalibrated.stdout) as { points: { train: { loss: number } }[] })
    .points)
    assert.ok(
      Math.abs(p.train.loss - expected) < 1e-5 * expected,
      `recalibrated ${p.train.loss} vs ${expected}`,
    );
});

test('a .pt file that is not a TorchScript module is refused in one line naming it; nothing written', () => {
  const notScript = path.join(dir, 'not-script');
  const data = path.join(notScript, 'data');
  fs.mkdirSync(data, { recursive: true });
  writeIdxFolder(data, false, [20, 10]);
  // a zip archive as torch.save writes one (data.pkl, no code/), stored without compression
  const zip = spawnSync(
    'python3',
    [
      '-c',
      `import zipfile, sys
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("archive/data.pkl", b"\\x80\\x02}q\\x00.")
    z.writestr("archive/version", "3\\n")`,
      path.join(notScript, 'state-dict.pt'),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(zip.status, 0, zip.stderr);
  fs.writeFileSync(path.join(notScript, 'noise.pt'), Buffer.from('not a zip archive at all'));
  fs.writeFileSync(path.join(notScript, 'empty.pth'), Buffer.alloc(0));
  for (const name of ['state-dict.pt', 'noise.pt', 'empty.pth']) {
    const file = path.join(notScript, name);
    const out = path.join(notScript, `run-${name}`);
    const r = gradscope(
      ...['train', '--network', file, '--data', data, '--epochs', '1', '--out', out, '--quiet'],
    );
    assert.equal(r.status, 2, `${name}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0]!.includes(file), `${name}: the line names the file: ${lines[0]}`);
    assert.match(lines[0]!, /not a TorchScript module/);
    assert.equal(fs.existsSync(out), false, `${name}: nothing written`);
  }
});
