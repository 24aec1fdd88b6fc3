/**
 * A TorchScript module with state besides batch-norm statistics (here a buffer counting the
 * train-mode passes): gradscope loads it, leaves the buffer in the module (not in the
 * checkpoint names) and says so in one warning line on stderr naming the buffer and its
 * module's type. Batch mode is deterministic with the module's Dropout (off
 * outside train mode) and changes no statistics; recalibrating a batch norm with
 * momentum=None (cumulative) gives PyTorch's per-channel mean and unbiased variance of its
 * input (float64, 1e-7: the images are float32 / 255 in both).
 */
import assert from 'node:assert/strict';
import * as path from 'path';
import { test } from 'node:test';
import { loadData } from '../../src/data/load';
import { Network } from '../../src/engine/network';
import { torchScriptSpec } from '../../src/engine/torchscript';
import { stateDict } from '../../src/engine/state-dict';
import { gradscope } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { range, relativeError } from '../fixtures/helpers';
import { numpyOrTorchMissing, runPythonFile } from '../fixtures/torchscript-fixtures';
const dir = tempDir('gradscope-torchscript-modes-');

const PYTHON = `
import json, sys, numpy as np, torch
from torch import nn
out = sys.argv[1]

class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("calls", torch.zeros(()))
    def forward(self, x):
        if self.training:
            self.calls.add_(1.0)
        return x

torch.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 8, bias=False), nn.BatchNorm1d(8, momentum=None),
                      Counter(), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 10))
torch.jit.script(model).save(out + "/counter.ts.pt")
rng = np.random.default_rng(1)
x = rng.integers(0, 256, (12, 1, 28, 28), dtype=np.uint8)
y = rng.integers(0, 10, 12)
np.savez(out + "/data.npz", x_train=x, y_train=y, x_test=x[:4], y_test=y[:4])
with torch.no_grad():
    # the images as gradscope reads them: float32 / 255, then float64
    h = model.double()[1]((torch.from_numpy(x).float() / 255).double().flatten(1))
print(json.dumps({"mean": h.mean(0).tolist(), "var": h.var(0, unbiased=True).tolist()}))
`;

test('a TorchScript module with an extra buffer: one warning naming it; modes and recalibration as for batch norms alone', (t) => {
  if (numpyOrTorchMissing) return t.skip(numpyOrTorchMissing);
  const theirs = JSON.parse(runPythonFile(dir, 'make_counter.py', PYTHON, dir)) as {
    mean: number[];
    var: number[];
  };
  const file = path.join(dir, 'counter.ts.pt');
  const data = path.join(dir, 'data.npz');

  const cli = gradscope(
    ...['analyze', 'gradients', '--network', file, '--data', data],
    ...['--batch-sizes', '4', '--samples', '1', '--json', '--quiet'],
  );
  assert.equal(cli.status, 0, cli.stderr);
  const lines = cli.stderr.trim().split('\n');
  assert.equal(lines.length, 1, cli.stderr);
  assert.match(lines[0]!, /^gradscope: warning: counter\.ts\.pt holds state besides batch-norm/);
  assert.ok(lines[0]!.includes('3.calls (Counter)'), lines[0]);

  const net = new Network(torchScriptSpec(file), { dtype: 'float64' });
  assert.deepEqual(
    stateDict(net).map((t) => t.name),
    [
      ...['1.weight', '2.weight', '2.bias', '2.running_mean', '2.running_var'],
      ...['2.num_batches_tracked', '6.weight', '6.bias'],
    ],
  );
  const train = loadData(data).train;
  const all = range(12);
  const statistics = net.readStatistics();
  const first = net.gradient(train, all, { mode: 'batch' });
  const g = net.readGradients();
  const second = net.gradient(train, all, { mode: 'batch' });
  assert.equal(second.loss, first.loss, 'batch mode: dropout off');
  assert.deepEqual(net.readGradients(), g);
  assert.deepEqual(net.readStatistics(), statistics, 'batch mode changes no statistics');

  net.recalibrate(train, all);
  const after = net.readStatistics();
  const mean = after.slice(0, 8);
  const variance = after.slice(8, 16);
  assert.ok(
    relativeError(mean, theirs.mean) < 1e-7,
    `recalibrated mean ${Array.from(mean).join(' ')} vs PyTorch ${theirs.mean.join(' ')}`,
  );
  assert.ok(
    relativeError(variance, theirs.var) < 1e-7,
    `recalibrated variance ${Array.from(variance).join(' ')} vs PyTorch ${theirs.var.join(' ')}`,
  );
  assert.deepEqual(net.readBatchCounts(), BigInt64Array.of(0n), 'the count as it was');
});
