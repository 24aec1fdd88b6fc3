/**
 * Tuned engine settings (src/engine/tuning.ts, `gradscope bench --tune`): they change speed,
 * not results; the stored choice is used and shown by `gradscope info`; a corrupt or
 * foreign tuning file is ignored with one line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { NetworkSpec } from '../../src/engine/layers';
import { Network, type Mode } from '../../src/engine/network';
import { setThreads, threadsFor, type ThreadSettings } from '../../src/engine/threads';
import { writeTuning } from '../../src/engine/tuning';
import { cli } from '../fixtures/cli-fixtures';
import { copyOf, everyLayer, randomDataset, range, relativeError } from '../fixtures/helpers';

const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);

/** C1's shape, small: two 5x5 convolutions (oneDNN's kernels), batch norms, pooling. */
const smallConvolutional: NetworkSpec = {
  name: 'small-c1',
  input: [3, 12, 12],
  classes: 4,
  layers: [
    { type: 'conv2d', out: 8, kernel: 5, padding: 'same', bias: false },
    { type: 'batchnorm2d' },
    { type: 'relu' },
    { type: 'maxpool2d', kernel: 3, stride: 2, padding: 1 },
    { type: 'conv2d', out: 8, kernel: 5, padding: 'same', bias: false },
    { type: 'batchnorm2d' },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'linear', out: 16, bias: false },
    { type: 'batchnorm1d' },
    { type: 'relu' },
    { type: 'linear', out: 4 },
  ],
};

const untuned: ThreadSettings = {
  torch: 1,
  blas: 1,
  memory: 'kept',
  convolutionFormat: 'channels-last',
  linear: 'blas',
};
const tuned: ThreadSettings = {
  torch: cores,
  blas: cores,
  memory: 'returned',
  convolutionFormat: 'contiguous',
  linear: 'onednn',
};

// float64: the same gradients to 1e-6 relative (in fact to float64 rounding, ~1e-15).
// float32: to float32 rounding, which batch statistics amplify (the backward pass through
// batch norm divides by each channel's batch standard deviation): 1.3e-6 measured for
// small-c1 in batch mode, so 1e-5 (float32's epsilon is 6e-8).
const tolerance = { float64: 1e-6, float32: 1e-5 } as const;

for (const spec of [smallConvolutional, everyLayer()])
  for (const mode of ['batch', 'population'] as Mode[])
    for (const dtype of ['float64', 'float32'] as const)
      test(`${spec.name}: tuned and untuned settings give the same ${dtype} gradients (${mode} mode)`, () => {
        const [c, h, w] = spec.input;
        const data = randomDataset(40, [c, h, w], spec.classes, 5);
        const all = range(40);
        const gradientWith = (s: ThreadSettings): Float64Array => {
          setThreads(s);
          const net = new Network(spec, { seed: 2, dtype });
          net.gradient(data, all, { mode, chunk: 16 });
          return copyOf(net.gradients);
        };
        const a = gradientWith(untuned);
        const b = gradientWith(tuned);
        setThreads();
        const error = relativeError(b, a);
        assert.ok(error < tolerance[dtype], `relative difference ${error}`);
        assert.ok(Math.max(...a.map(Math.abs)) > 0, 'a gradient that is not zero');
      });

test('threadsFor uses the stored choice for the family at the nearest tuned batch size', () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-tuning-'));
  const before = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = cache;
  try {
    const choice = {
      memory: 'kept',
      convolutionFormat: 'contiguous',
      linear: 'blas',
      ms: 1,
    } as const;
    writeTuning([
      { family: 'convolutional', batch: 256, torch: 1, blas: 1, ...choice },
      { family: 'convolutional', batch: 5000, torch: 2, blas: 1, ...choice },
    ]);
    assert.ok(fs.existsSync(path.join(cache, 'gradscope', 'tuning.json')));
    const c = smallConvolutional;
    assert.deepEqual(threadsFor(c, { batch: 300 }), {
      torch: 1,
      blas: 1,
      memory: 'kept',
      convolutionFormat: 'contiguous',
      linear: 'blas',
      source: 'tuned',
    });
    assert.equal(threadsFor(c, { batch: 4000 }).torch, 2);
    assert.equal(threadsFor(c).torch, 2, 'without a batch size: the largest tuned one');
    // no choice for fully connected networks: the built-in rules (float32 in oneDNN on torch's
    // threads; float64 in BLAS, 1 torch thread)
    const f = { ...c, layers: [{ type: 'flatten' as const }, { type: 'linear' as const, out: 4 }] };
    assert.deepEqual(threadsFor(f, { batch: 256 }), { torch: cores, blas: cores, source: 'rules' });
    assert.deepEqual(threadsFor(f, { batch: 256, dtype: 'float64' }), {
      torch: 1,
      blas: cores,
      source: 'rules',
    });
  } finally {
    if (before === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = before;
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

function gradscopeWith(cache: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, XDG_CACHE_HOME: cache },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bench --tune --quick stores the choices; info shows them; corrupt and foreign files are ignored with one line', () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-tuning-'));
  const file = path.join(cache, 'gradscope', 'tuning.json');
  try {
    const none = gradscopeWith(cache, 'info', '--json');
    assert.equal(none.status, 0, none.stderr);
    assert.equal(JSON.parse(none.stdout).tuning.status, 'absent');

    const tune = gradscopeWith(cache, 'bench', '--tune', '--quick');
    assert.equal(tune.status, 0, tune.stderr);
    assert.match(tune.stdout, /written: .*tuning\.json/);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(
      stored.choices.map((c: { family: string; batch: number }) => `${c.family} ${c.batch}`),
      ['fully-connected 16', 'fully-connected 64', 'convolutional 16', 'convolutional 64'],
    );
    // each choice won the last stage (memory kept or returned, both timed in 3 interleaved
    // rounds): its stored ms is its median over those rounds, at most the other's median
    const logged = tune.stderr
      .split('\n')
      .map((l) => /^tune: (\S+) B=(\d+) (.+), round (\d): ([\d.]+) ms$/.exec(l))
      .filter((m) => m !== null);
    for (const [c, network] of stored.choices.map((c: Record<string, unknown>, i: number) => [
      c,
      i < 2 ? 'F1' : 'C1',
    ])) {
      const mine = logged.filter((m) => m[1] === network && Number(m[2]) === c.batch);
      const last = mine.slice(-6);
      assert.deepEqual(
        last.map((m) => m[4]),
        ['1', '1', '2', '2', '3', '3'],
        `${network} B=${c.batch}: two candidates, three rounds`,
      );
      const chosen = `torch ${c.torch} / BLAS ${c.blas}, linear ${c.linear}, memory ${c.memory}, ${c.convolutionFormat}`;
      const median = (label: string): number =>
        last
          .filter((m) => (label === chosen) === (m[3] === chosen))
          .map((m) => Number(m[5]))
          .sort((a, b) => a - b)[1]!;
      assert.ok(Math.abs(median(chosen) - c.ms) <= 0.05, `${network} B=${c.batch}: ${c.ms}`);
      assert.ok(median('other') >= c.ms - 0.05, `${network} B=${c.batch}: the faster one kept`);
    }
    const info = gradscopeWith(cache, 'info', '--json');
    assert.equal(info.status, 0, info.stderr);
    assert.equal(info.stderr, '');
    const shown = JSON.parse(info.stdout).tuning;
    assert.equal(shown.status, 'used');
    assert.deepEqual(shown.choices, stored.choices);
    assert.equal(shown.key.cores, cores);

    // foreign: another CPU, with a correct checksum computed here
    const foreign = { ...stored, key: { ...stored.key, cpu: 'Another CPU 9000' } };
    const body = {
      format: foreign.format,
      key: foreign.key,
      date: foreign.date,
      choices: foreign.choices,
    };
    foreign.checksum = crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const cases: [string, string, RegExp][] = [
      ['foreign', JSON.stringify(foreign), /measured on Another CPU 9000 with/],
      ['corrupt', '{"format": "gradscope tun', /not valid JSON/],
      ['tampered', JSON.stringify({ ...stored, choices: [] }), /checksum does not match/],
    ];
    for (const [what, text, reason] of cases) {
      fs.writeFileSync(file, text);
      const r = gradscopeWith(cache, 'info', '--json');
      assert.equal(r.status, 0, `${what}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${what}: one line, got ${r.stderr}`);
      assert.ok(lines[0]!.includes(file), `${what}: names the file: ${lines[0]}`);
      assert.match(lines[0]!, reason);
      assert.equal(JSON.parse(r.stdout).tuning.status, 'ignored');
    }
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('a tuning file of format 1 (before the Linear kernels were a setting) is ignored with one line', () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-tuning-'));
  try {
    const before = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = cache;
    try {
      writeTuning([
        {
          family: 'convolutional',
          batch: 256,
          torch: 1,
          blas: 1,
          memory: 'kept',
          convolutionFormat: 'contiguous',
          linear: 'blas',
          ms: 1,
        },
      ]);
    } finally {
      if (before === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = before;
    }
    const file = path.join(cache, 'gradscope', 'tuning.json');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    // a format-1 file as `bench --tune` wrote it: no `linear` in its choices, a valid checksum
    const body = {
      format: 'gradscope tuning 1',
      key: stored.key,
      date: stored.date,
      choices: stored.choices.map(({ linear: _, ...rest }: Record<string, unknown>) => rest),
    };
    const checksum = crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex');
    fs.writeFileSync(file, JSON.stringify({ ...body, checksum }));
    const r = gradscopeWith(cache, 'info', '--json');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /tuning\.json.*not a "gradscope tuning 2" file/);
    assert.equal(JSON.parse(r.stdout).tuning.status, 'ignored');
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('GRADSCOPE_LINEAR chooses the Linear kernels; another value is refused in one line', () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-tuning-'));
  const info = (linear: string | undefined) => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache };
    if (linear === undefined) delete env.GRADSCOPE_LINEAR;
    else env.GRADSCOPE_LINEAR = linear;
    const r = spawnSync(process.execPath, [cli, 'info', '--json'], { encoding: 'utf8', env });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  try {
    assert.equal(JSON.parse(info(undefined).stdout).linear, 'onednn');
    assert.equal(JSON.parse(info('blas').stdout).linear, 'blas');
    assert.equal(JSON.parse(info('onednn').stdout).linear, 'onednn');
    const bad = info('mkl');
    assert.equal(bad.status, 2, 'an input error');
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(
      bad.stderr,
      /"onednn" or "blas" for the environment variable GRADSCOPE_LINEAR but received .*mkl/,
    );
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
