/**
 * Models trained in PyTorch, analysed here: F1 and a ResNet20 (the modules `gradscope export
 * --pytorch` prints) trained a few steps in Debian's PyTorch, their state_dicts saved as plain
 * safetensors (no gradscope metadata), then `gradscope analyze gradients` and `analyze line`
 * with --network: losses, |g_train| and a line point equal PyTorch's (gradscope in float32,
 * PyTorch evaluating the same float32 weights in float64; 1e-5 relative). Bad
 * inputs (another network's state_dict, a whole pickled model) are one line, exit 2, nothing
 * written. A torch.save state_dict (.pt) reads as the safetensors one does.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { gradscope } from '../fixtures/cli-fixtures';
import { cifarBytes, cifarRecords, writeIdxFolder } from '../fixtures/data-fixtures';
import { pythonHas } from '../fixtures/python-has';

const python = process.env.GRADSCOPE_PYTHON ?? '/usr/bin/python3';
const torchMissing = !pythonHas(python, 'torch')
  ? `PyTorch is not importable from ${python}`
  : undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-pytorch-trained-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

/** Reads the data folder as gradscope does, trains `steps` SGD steps of batch 16 in train
 * mode from seed 0, saves the start (a.safetensors) and the end (b.safetensors) by hand, and
 * prints the reference numbers in eval mode. */
const TRAIN = `
import json, os, struct, sys, importlib.util, torch
import torch.nn.functional as F
module, data, kind, out = sys.argv[1:5]
spec = importlib.util.spec_from_file_location("exported", module)
exported = importlib.util.module_from_spec(spec)
sys.modules["exported"] = exported  # so that torch.save can pickle a whole model
spec.loader.exec_module(exported)

def idx(name):
    raw = open(os.path.join(data, name), "rb").read()
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(raw[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)

def cifar(names):
    raw = b"".join(open(os.path.join(data, n), "rb").read() for n in names)
    records = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(-1, 3073)
    return records[:, 1:].reshape(-1, 3, 32, 32), records[:, 0].long()

if kind == "idx":
    x_train = idx("train-images-idx3-ubyte").reshape(-1, 1, 28, 28)
    y_train = idx("train-labels-idx1-ubyte").long()
    x_test = idx("t10k-images-idx3-ubyte").reshape(-1, 1, 28, 28)
    y_test = idx("t10k-labels-idx1-ubyte").long()
else:
    x_train, y_train = cifar(["data_batch_%d.bin" % i for i in range(1, 6)])
    x_test, y_test = cifar(["test_batch.bin"])
x_train, x_test = x_train.float() / 255, x_test.float() / 255

def save(model, file):
    tensors = [(k, v.contiguous()) for k, v in model.state_dict().items()]
    names = {torch.float32: "F32", torch.int64: "I64"}
    header, offset, blobs = {}, 0, []
    for k, v in tensors:
        blob = v.numpy().tobytes()
        header[k] = {"dtype": names[v.dtype], "shape": list(v.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(file, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))

torch.manual_seed(0)
model = exported.network()
save(model, os.path.join(out, "a.safetensors"))
start = {k: v.clone() for k, v in model.state_dict().items()}
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
model.train()
for step in range(4):
    batch = torch.arange(16 * step, 16 * step + 16) % len(y_train)
    optimizer.zero_grad()
    F.cross_entropy(model(x_train[batch]), y_train[batch]).backward()
    optimizer.step()
save(model, os.path.join(out, "b.safetensors"))
torch.save(model.state_dict(), os.path.join(out, "b.pt"))
torch.save(model, os.path.join(out, "whole-model.pt"))
end = {k: v.clone() for k, v in model.state_dict().items()}

def measured(x, y):
    model.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    return loss.item(), torch.cat([p.grad.flatten() for p in model.parameters()]).norm().item()

# the reference numbers in float64 from the float32 weights and inputs: PyTorch's own float32
# |g_train| of F1 here is 3e-5 from that truth (gradscope's float32: 2e-8)
model.eval()
model.double()
end = {k: v.double() if v.is_floating_point() else v for k, v in end.items()}
start = {k: v.double() if v.is_floating_point() else v for k, v in start.items()}
x_train, x_test = x_train.double(), x_test.double()
train_loss, g_train = measured(x_train, y_train)
test_loss, g_test = measured(x_test, y_test)
# the line's midpoint, batch-norm buffers interpolated like the weights
model.load_state_dict({k: (start[k] + end[k]) / 2 if v.is_floating_point() else v for k, v in end.items()})
with torch.no_grad():
    line_train = F.cross_entropy(model(x_train), y_train).item()
    line_test = F.cross_entropy(model(x_test), y_test).item()
print(json.dumps({"trainLoss": train_loss, "testLoss": test_loss, "gTrainNorm": g_train,
                  "gTestNorm": g_test, "lineTrain": line_train, "lineTest": line_test}))
`;

function close(ours: number, theirs: number, what: string): void {
  assert.ok(
    Math.abs(ours - theirs) <= 1e-5 * Math.abs(theirs),
    `${what}: gradscope ${ours}, PyTorch ${theirs}`,
  );
}

function trainedInPyTorch(network: string, data: string, kind: 'idx' | 'cifar', out: string) {
  fs.mkdirSync(out, { recursive: true });
  const exported = gradscope('export', network, '--pytorch');
  assert.equal(exported.status, 0, exported.stderr);
  const module = path.join(out, 'model.py');
  fs.writeFileSync(module, exported.stdout);
  const run = spawnSync(python, ['-c', TRAIN, module, data, kind, out], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, number>;
}

function analysed(network: string, data: string, out: string): Record<string, number> {
  const gradients = gradscope(
    ...['analyze', 'gradients', '--checkpoint', path.join(out, 'b.safetensors')],
    ...['--network', network, '--data', data, '--batch-sizes', '16', '--samples', '2'],
    ...['--json', '--quiet'],
  );
  assert.equal(gradients.status, 0, gradients.stderr);
  const line = gradscope(
    ...['analyze', 'line', '--from', path.join(out, 'a.safetensors')],
    ...['--to', path.join(out, 'b.safetensors'), '--network', network, '--data', data],
    ...['--alpha', '0.5:0.5:1', '--bn', 'interpolate', '--json', '--quiet'],
  );
  assert.equal(line.status, 0, line.stderr);
  const g = JSON.parse(gradients.stdout) as Record<string, number>;
  // norms are reported in units of d = |g_train - g_total|
  g.gTrainNorm = g.gTrainNorm! * g.d!;
  g.gTestNorm = g.gTestNorm! * g.d!;
  const point = (
    JSON.parse(line.stdout) as { points: { train: { loss: number }; test: { loss: number } }[] }
  ).points[0]!;
  return { ...g, lineTrain: point.train.loss, lineTest: point.test.loss };
}

test('F1 trained in PyTorch: gradscope analyses its state_dict as PyTorch measures it', (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const data = path.join(dir, 'mnist');
  fs.mkdirSync(data);
  writeIdxFolder(data, false, [64, 32]);
  const out = path.join(dir, 'f1');
  const theirs = trainedInPyTorch('F1', data, 'idx', out);
  const ours = analysed('F1', data, out);
  for (const key of ['trainLoss', 'testLoss', 'gTrainNorm', 'gTestNorm', 'lineTrain', 'lineTest'])
    close(ours[key]!, theirs[key]!, `F1 ${key}`);
});

test('ResNet20 trained in PyTorch: the same, through residual blocks', (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const data = path.join(dir, 'cifar');
  fs.mkdirSync(data);
  for (let i = 1; i <= 5; i++)
    fs.writeFileSync(
      path.join(data, `data_batch_${i}.bin`),
      cifarBytes(cifarRecords(13, i), false),
    );
  fs.writeFileSync(path.join(data, 'test_batch.bin'), cifarBytes(cifarRecords(16, 9), false));
  const out = path.join(dir, 'resnet20');
  const theirs = trainedInPyTorch('ResNet20', data, 'cifar', out);
  const ours = analysed('ResNet20', data, out);
  for (const key of ['trainLoss', 'testLoss', 'gTrainNorm', 'gTestNorm', 'lineTrain', 'lineTest'])
    close(ours[key]!, theirs[key]!, `ResNet20 ${key}`);

  // another network's state_dict: one line naming what is missing, exit 2, nothing written
  const report = path.join(dir, 'should-not-exist');
  const wrong = gradscope(
    ...['analyze', 'gradients', '--checkpoint', path.join(out, 'b.safetensors')],
    ...['--network', 'ResNet56', '--data', data, '--out', report],
  );
  assert.equal(wrong.status, 2);
  assert.match(
    wrong.stderr,
    /^gradscope: .*b\.safetensors: made for another network: missing 12\.branch\.0\.weight, .* and \d+ more; unexpected 6\.shortcut\.0\.weight, .*; wrong shape: 6\.branch\.0\.weight is float32 \[32, 16, 3, 3\], needs float32 \[16, 16, 3, 3\], .* and \d+ more\n$/,
  );
  assert.ok(!fs.existsSync(report));

  // the same state_dict written by torch.save: read by libtorch's unpickler, same numbers
  const pickled = gradscope(
    ...['analyze', 'gradients', '--checkpoint', path.join(out, 'b.pt'), '--network', 'ResNet20'],
    ...['--data', data, '--batch-sizes', '16', '--samples', '2', '--json', '--quiet'],
  );
  assert.equal(pickled.status, 0, pickled.stderr);
  close((JSON.parse(pickled.stdout) as { trainLoss: number }).trainLoss, theirs.trainLoss!, 'b.pt');

  // a whole pickled model (its class is code): refused with the conversion line
  const whole = path.join(out, 'whole-model.pt');
  const refused = gradscope(
    ...['analyze', 'gradients', '--checkpoint', whole, '--network', 'ResNet20'],
    ...['--data', data],
  );
  assert.equal(refused.status, 2);
  assert.match(
    refused.stderr,
    /^gradscope: .*whole-model\.pt: a PyTorch pickle gradscope cannot read as a state_dict without running code \(.*\); convert it with .*save_file.*\n$/,
  );
});
