/**
 * The device option as a user meets it: `gradscope info` says what libtorch reaches and
 * which device a run would use; --device (and a study config's device) is checked for its
 * form, and a GPU asked for where libtorch has no CUDA or sees no GPU is one clear line and a
 * non-zero exit with nothing written. Then the device tests proper, which need a GPU and skip
 * with the reason where there is none (scripts/device-check.sh runs them on a GPU machine).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import {
  analyzeGradients,
  DEFAULT_GRADIENT_ANALYSIS,
} from '../../src/analysis/gradient-distribution';
import { Dataset } from '../../src/engine/dataset';
import { deviceInfo, useDevice } from '../../src/engine/device';
import { resolveNetwork, type NetworkSpec } from '../../src/engine/layers';
import { Network } from '../../src/engine/network';
import { Optimizer, type OptimizerSettings } from '../../src/engine/optimizer';
import { loadNetwork, saveNetwork } from '../../src/engine/checkpoint';
import { gradscope, writeNetworkFile } from '../fixtures/cli-fixtures';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { everyLayer, randomSource, randomStudyData } from '../fixtures/helpers';

const dir = tempDir('gradscope-device-');
const data = path.join(dir, 'data');
fs.mkdirSync(data);
writeIdxFolder(data, false, [24, 8]);
const net = writeNetworkFile(dir, {
  name: 'device-net',
  input: [1, 28, 28],
  classes: 10,
  layers: [{ type: 'flatten' }, { type: 'linear', out: 10 }],
});
const info = deviceInfo();
const gpu = info.cuda && info.gpus > 0;
const noGpu = !info.cuda
  ? 'the libtorch gradscope was built against has no CUDA'
  : info.gpus === 0
    ? 'libtorch sees no GPU on this machine'
    : undefined;

function oneLineFailure(args: string[], pattern: RegExp): void {
  const r = gradscope(...args);
  assert.equal(r.status, 2, `exit status for ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

test('gradscope info: libtorch, CUDA, the devices seen and the device a run would use', () => {
  const r = gradscope('info', '--json');
  assert.equal(r.status, 0, r.stderr);
  const shown = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.match(String(shown.libtorch), /^\d+\.\d+/);
  assert.equal(shown.cuda, info.cuda);
  assert.deepEqual(shown.devices, [
    'cpu',
    ...Array.from({ length: info.gpus }, (_, i) => `cuda:${i}`),
  ]);
  assert.equal(shown.device, gpu ? 'cuda:0' : 'cpu', 'auto: the first GPU, else the CPU');
  if (!info.cuda) assert.equal(shown.cudaVersion, null);
  const cpu = JSON.parse(gradscope('info', '--json', '--device', 'cpu').stdout) as {
    device: string;
  };
  assert.equal(cpu.device, 'cpu');
});

test('--device of the wrong form is refused in the one form every option uses', () => {
  for (const bad of ['gpu', 'cuda:x', 'cuda:-1', 'CPU'])
    oneLineFailure(
      ['info', '--device', bad],
      new RegExp(
        `^gradscope: Expected cpu, cuda, cuda:N or auto for --device but received "${bad}"$`,
      ),
    );
});

test('--device cuda without CUDA or a GPU: one clear line, exit 2, no run directory', (t) => {
  if (gpu) return t.skip('this machine has a GPU that libtorch sees');
  for (const device of ['cuda', 'cuda:0', 'cuda:3']) {
    const out = path.join(dir, `run-${device.replace(':', '-')}`);
    oneLineFailure(
      [
        'train',
        '--network',
        net,
        '--data',
        data,
        '--epochs',
        '1',
        '--device',
        device,
        '--out',
        out,
      ],
      new RegExp(`^gradscope: --device ${device}: ${noGpu}`),
    );
    assert.ok(!fs.existsSync(out), `${out} was left behind`);
  }
});

test("a study config's device is checked and, without a GPU, refused naming the file", (t) => {
  const config = (device: string) => {
    const file = path.join(dir, `study-${device.replace(':', '-')}.yaml`);
    const demo = fs.readFileSync(
      path.join(__dirname, '..', '..', '..', 'configs', 'demo.yaml'),
      'utf8',
    );
    fs.writeFileSync(file, `device: ${device}\n${demo}`);
    return file;
  };
  oneLineFailure(
    ['run', config('tpu'), '--out', path.join(dir, 'tpu'), '--plan'],
    /^gradscope: .*study-tpu\.yaml: Expected cpu, cuda, cuda:N or auto for device but received "tpu"$/,
  );
  if (gpu) return t.skip('this machine has a GPU that libtorch sees');
  const file = config('cuda');
  oneLineFailure(
    ['run', file, '--out', path.join(dir, 'cuda')],
    new RegExp(`^gradscope: .*study-cuda\\.yaml: device cuda: ${noGpu}`),
  );
  assert.ok(!fs.existsSync(path.join(dir, 'cuda')));
});

// ---- on a GPU (scripts/device-check.sh): the same numbers as the CPU's ----

function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

test('GPU: the gradient equals the CPU float64 one (1e-4 float32, 1e-10 float64)', (t) => {
  if (!gpu) return t.skip(`no GPU: ${noGpu}`);
  const studyData = (device: string) => {
    useDevice(device);
    return randomStudyData(64, 16, [2, 6, 6], 3, 8);
  };
  const indices = Int32Array.from({ length: 64 }, (_, i) => i);
  const gradient = (device: string, dtype: 'float32' | 'float64') => {
    const d = studyData(device);
    const network = new Network(everyLayer(), { seed: 3, dtype });
    assert.equal(network.device, device);
    const m = network.gradient(d.train, indices, { mode: 'batch' });
    return { loss: m.loss, g: Float64Array.from(network.readGradients()) };
  };
  try {
    const reference = gradient('cpu', 'float64');
    const single = gradient('cuda:0', 'float32');
    const double = gradient('cuda:0', 'float64');
    assert.ok(
      relative(single.g, reference.g) <= 1e-4,
      `float32: ${relative(single.g, reference.g)}`,
    );
    assert.ok(
      relative(double.g, reference.g) <= 1e-10,
      `float64: ${relative(double.g, reference.g)}`,
    );
    assert.ok(Math.abs(double.loss - reference.loss) <= 1e-10 * Math.abs(reference.loss));
  } finally {
    useDevice('cpu');
  }
});

test("GPU: Experiment B's d, |g_train|/d and |g_total|/d equal the CPU's (1e-6, float64)", async (t) => {
  if (!gpu) return t.skip(`no GPU: ${noGpu}`);
  const point = async (device: string) => {
    useDevice(device);
    const d = randomStudyData(64, 16, [2, 6, 6], 3, 9);
    const network = new Network(everyLayer(), { seed: 4, dtype: 'float64' });
    return analyzeGradients(network, d, {
      ...DEFAULT_GRADIENT_ANALYSIS,
      batchSizes: [8, 32],
      samples: 5,
      seed: 1,
      purpose: 'device',
    });
  };
  try {
    const cpu = await point('cpu');
    const cuda = await point('cuda:0');
    for (const key of ['d', 'gTrainNorm', 'gTotalNorm'] as const)
      assert.ok(
        Math.abs(cuda[key] - cpu[key]) <= 1e-6 * Math.abs(cpu[key]),
        `${key}: ${cuda[key]} on the GPU, ${cpu[key]} on the CPU`,
      );
  } finally {
    useDevice('cpu');
  }
});

test('GPU: a checkpoint written on the GPU loads on the CPU and gives the same losses', (t) => {
  if (!gpu) return t.skip(`no GPU: ${noGpu}`);
  const file = path.join(dir, 'gpu.safetensors');
  const all = Int32Array.from({ length: 64 }, (_, i) => i);
  try {
    useDevice('cuda:0');
    const onGpu = randomStudyData(64, 16, [2, 6, 6], 3, 10);
    const trained = new Network(everyLayer(), { seed: 6 });
    const optimizer = new Optimizer(trained, { kind: 'adam', lr: 0.01 });
    for (let s = 0; s < 3; s++) {
      trained.gradient(onGpu.train, all.subarray(s * 16, s * 16 + 16), { mode: 'train' });
      optimizer.step();
    }
    saveNetwork(file, trained, { epoch: 1, step: 3, extra: {} });
    const gpuLoss = trained.evaluate(onGpu.test, onGpu.test.all()).loss;
    useDevice('cpu');
    const onCpu = randomStudyData(64, 16, [2, 6, 6], 3, 10);
    const loaded = new Network(everyLayer(), { seed: 0 });
    loadNetwork(file, loaded);
    const cpuLoss = loaded.evaluate(onCpu.test, onCpu.test.all()).loss;
    assert.ok(Math.abs(cpuLoss - gpuLoss) <= 1e-5 * Math.abs(gpuLoss), `${cpuLoss} vs ${gpuLoss}`);
  } finally {
    useDevice('cpu');
  }
});

// ---- a training step against PyTorch on the same device (test/python/training_step.py) ----

const python = process.env.GRADSCOPE_PYTHON ?? '/usr/bin/python3';

/** Why PyTorch cannot run on `device` here, or undefined when it can. */
function pytorchMissing(device: string): string | undefined {
  const probe = spawnSync(
    python,
    ['-c', `import torch; torch.zeros(1, device=${JSON.stringify(device)})`],
    { encoding: 'utf8' },
  );
  if (probe.status === 0) return undefined;
  const reason = probe.stderr.trim().split('\n').pop();
  return `PyTorch from ${python} cannot run on ${device} (${reason}; set GRADSCOPE_PYTHON)`;
}

/**
 * Three steps in train mode (batch norm on batch statistics, running statistics updated) from
 * one checkpoint, with SGD (momentum 0.9, weight decay 5e-4) and with Adam, by gradscope and by
 * PyTorch on `device`: the losses, the parameters and the running statistics after the steps
 * agree to 1e-5 relative (float32; TF32 off on both sides).
 */
function stepAgainstPyTorch(device: string): string[] {
  const every = everyLayer();
  // dropout draws its masks from each library's own generator: left out. A bias just before a
  // batch norm has gradient 0 up to rounding, which Adam's first steps scale up to +-lr: off.
  const spec: NetworkSpec = {
    ...every,
    name: 'every-layer-but-dropout',
    layers: every.layers
      .filter((l) => l.type !== 'dropout')
      .map((l, i) => (i === 0 ? { ...l, bias: false } : l)),
  };
  const source = randomSource(48, [2, 6, 6], 3, 12);
  const batches = [0, 1, 2].map((s) =>
    Int32Array.from({ length: 16 }, (_, i) => (s * 16 + i * 7) % 48),
  );
  const optimizers: OptimizerSettings[] = [
    { kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 5e-4 },
    { kind: 'adam', lr: 0.01 },
  ];
  const file = path.join(dir, `step-${device.replace(':', '-')}.safetensors`);
  let ours: { losses: number[]; parameters: Float64Array; statistics: Float64Array }[];
  try {
    useDevice(device);
    const data = new Dataset('random', 3, source);
    const initial = new Network(spec, { seed: 7 });
    assert.equal(initial.device, device);
    saveNetwork(file, initial, { epoch: 0, step: 0, extra: {} });
    ours = optimizers.map((settings) => {
      const net = new Network(spec, { seed: 99 });
      loadNetwork(file, net);
      const optimizer = new Optimizer(net, settings);
      const losses = batches.map((batch) => {
        const loss = net.gradient(data, batch, { mode: 'train' }).loss;
        optimizer.step();
        return loss;
      });
      return {
        losses,
        parameters: Float64Array.from(net.readParameters()),
        statistics: Float64Array.from(net.readStatistics()),
      };
    });
  } finally {
    useDevice('cpu');
  }
  const args = path.join(dir, `step-${device.replace(':', '-')}.json`);
  fs.writeFileSync(
    args,
    JSON.stringify({
      device,
      layers: resolveNetwork(spec).layers,
      checkpoint: file,
      pixels: Array.from(source.pixels),
      labels: Array.from(source.labels),
      shape: source.shape,
      batches: batches.map((b) => Array.from(b)),
      optimizers: optimizers.map((o) =>
        o.kind === 'sgd'
          ? { kind: 'sgd', lr: o.lr, momentum: o.momentum, weight_decay: o.weightDecay }
          : { kind: 'adam', lr: o.lr },
      ),
    }),
  );
  const script = path.join(__dirname, '..', '..', '..', 'test', 'python', 'training_step.py');
  const run = spawnSync(python, [script, args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(run.status, 0, run.stderr);
  const theirs = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
    torch: string;
    device: string;
    runs: { losses: number[]; parameters: number[]; statistics: number[] }[];
  };
  assert.equal(theirs.device, device);
  return optimizers.map((o, k) => {
    const a = ours[k]!;
    const b = theirs.runs[k]!;
    assert.equal(a.parameters.length, b.parameters.length);
    b.losses.forEach((loss, s) =>
      assert.ok(
        Math.abs(a.losses[s]! - loss) <= 1e-5 * Math.abs(loss),
        `${o.kind} step ${s}: loss ${a.losses[s]} vs PyTorch's ${loss}`,
      ),
    );
    const parameters = relative(a.parameters, b.parameters);
    assert.ok(parameters <= 1e-5, `${o.kind}: parameters differ by ${parameters} relative`);
    const statistics = relative(a.statistics, b.statistics);
    assert.ok(statistics <= 1e-5, `${o.kind}: running statistics differ by ${statistics}`);
    return `${o.kind} against PyTorch ${theirs.torch} on ${device}: parameters ${parameters.toExponential(1)}, running statistics ${statistics.toExponential(1)} relative`;
  });
}

test("CPU: a training step equals PyTorch's on the CPU to 1e-5 (the GPU test's logic)", (t) => {
  const missing = pytorchMissing('cpu');
  if (missing) return t.skip(missing);
  for (const line of stepAgainstPyTorch('cpu')) t.diagnostic(line);
});

test("GPU: a training step equals PyTorch's on the same GPU to 1e-5", (t) => {
  if (!gpu) return t.skip(`no GPU: ${noGpu}`);
  const missing = pytorchMissing('cuda:0');
  if (missing) return t.skip(missing);
  for (const line of stepAgainstPyTorch('cuda:0')) t.diagnostic(line);
});
