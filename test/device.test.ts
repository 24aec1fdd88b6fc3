/**
 * The device option as a user meets it: `gradscope info` says what libtorch reaches and
 * which device a run would use; --device (and a study config's device) is checked for its
 * form, and a GPU asked for where libtorch has no CUDA or sees no GPU is one clear line and a
 * non-zero exit with nothing written. Then the device tests proper, which need a GPU and skip
 * with the reason where there is none (scripts/device-check.sh runs them on a GPU machine).
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { analyzeGradients, DEFAULT_GRADIENT_ANALYSIS } from '../src/analysis/gradient-distribution';
import { deviceInfo, useDevice } from '../src/engine/device';
import { Network } from '../src/engine/network';
import { Optimizer } from '../src/engine/optimizer';
import { loadNetwork, saveNetwork } from '../src/engine/checkpoint';
import { gradscope, writeNetworkFile } from './cli-fixtures';
import { tempDir, writeIdxFolder } from './data-fixtures';
import { everyLayer, randomStudyData } from './helpers';

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
    const demo = fs.readFileSync(path.join(__dirname, '..', '..', 'configs', 'demo.yaml'), 'utf8');
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

test("GPU: Experiment B's d, |g_train|/d and |g_total|/d equal the CPU's (1e-6, float64)", (t) => {
  if (!gpu) return t.skip(`no GPU: ${noGpu}`);
  const point = (device: string) => {
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
    const cpu = point('cpu');
    const cuda = point('cuda:0');
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
