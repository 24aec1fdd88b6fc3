/**
 * `gradscope analyze critical-batch` end to end on a tiny piggybacked run of F1 (300
 * MNIST-shaped examples, 3 epochs at B = 16, arms 16 and 32): a branch is the piggybacked arm
 * (one epoch's examples from process 1's last checkpoint, the learning rate unchanged: the arm's
 * numbers exactly); a budget of examples that is not an epoch cuts the branch's last step; the
 * JSON has the shape the ramp rule reads; a run killed after some branches resumes without
 * redoing them and ends as an uninterrupted one; bad input is one line, exit 2, nothing written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { readMetrics, type EpochRecord } from '../../src/store/metrics';
import { cli, gradscope } from '../fixtures/cli-fixtures';
import { gradscopeEach } from '../fixtures/cli-one-process';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';

interface Branch {
  batchSize: number;
  steps: number;
  examples: number;
  learningRate: number;
  loss: number | null;
  testLoss: number;
  testAccuracy: number;
  trainSampleLoss: number;
}
interface Point {
  epoch: number;
  criticalBatch: number;
  lowerBound: boolean;
  branches: Branch[];
}
interface Result {
  points: Point[];
  batchSizes: number[];
  examples: number;
  lrRule: string;
}

const root = tempDir('gradscope-critical-');
const data = path.join(root, 'data');
fs.mkdirSync(data);
writeIdxFolder(data, false, [300, 100]);
const run = path.join(root, 'run');
const trained = gradscope(
  ...['train', '--network', 'F1', '--data', data, '--batch-size', '16', '--epochs', '3'],
  ...['--piggyback', '16,32', '--arm-epochs', '1', '--noise-scale-every', '8'],
  ...['--threads', '1', '--seed', '4', '--quiet', '--out', run],
);

/** A copy of the trained run, so each test branches from the same checkpoints. */
function runCopy(name: string): string {
  assert.equal(trained.status, 0, trained.stderr);
  const copy = path.join(root, name);
  fs.cpSync(run, copy, { recursive: true });
  return copy;
}

function critical(dir: string, ...args: string[]) {
  return gradscope('analyze', 'critical-batch', dir, '--threads', '1', '--quiet', ...args);
}

/** Merrill et al.'s rule, written out here: the largest B within 0.01 of every smaller B. */
function expectedCritical(branches: Branch[]): number {
  let best = branches[0]!.batchSize;
  branches.forEach((b, j) => {
    if (j > 0 && branches.slice(0, j).every((a) => b.loss !== null && b.loss <= a.loss! + 0.01))
      best = b.batchSize;
  });
  return best;
}

test('a branch of one epoch at unchanged learning rate is the piggybacked arm, number for number', () => {
  const dir = runCopy('arm');
  const r = critical(
    dir,
    '--epochs',
    '1,3',
    '--batch-sizes',
    '16,32,64',
    '--lr-rule',
    'none',
    '--json',
  );
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as Result;
  assert.deepEqual(
    JSON.parse(fs.readFileSync(path.join(dir, 'critical-batch.json'), 'utf8')),
    result,
    'the file holds what --json prints',
  );
  assert.deepEqual(
    result.points.map((p) => p.epoch),
    [1, 3],
  );
  assert.equal(result.examples, 300, 'one epoch by default');
  const arms = readMetrics(path.join(dir, 'metrics.jsonl')).filter(
    (m): m is EpochRecord => m.kind === 'epoch' && String(m.phase).startsWith('arm-'),
  );
  const last = result.points[1]!;
  for (const b of [16, 32]) {
    const arm = arms.find((m) => m.phase === `arm-${b}` && m.epoch === 4)!;
    const branch = last.branches.find((x) => x.batchSize === b)!;
    assert.equal(branch.testLoss, arm.testLoss, `B = ${b}: the arm's test loss`);
    assert.equal(branch.testAccuracy, arm.testAccuracy, `B = ${b}: the arm's test accuracy`);
    assert.equal(branch.steps, Math.ceil(300 / b));
    assert.equal(branch.examples, 300);
    assert.equal(branch.learningRate, 1e-3);
  }
  for (const p of result.points) {
    assert.deepEqual(
      p.branches.map((b) => b.batchSize),
      [16, 32, 64],
    );
    for (const b of p.branches) assert.equal(b.loss, b.trainSampleLoss, 'the training sample');
    assert.equal(p.criticalBatch, expectedCritical(p.branches), `epoch ${p.epoch}`);
    assert.equal(p.lowerBound, p.criticalBatch === 64);
  }
  assert.ok(fs.statSync(path.join(dir, 'critical-batch', 'critical-batch.svg')).size > 0);
});

test("a language model's branches read its token windows: a branch of one epoch is its arm", () => {
  const dir = path.join(root, 'gpt');
  const corpus = path.join(root, 'corpus.txt');
  const words = ['in', 'the', 'beginning', 'was', 'light', 'and', 'water', 'earth'];
  fs.writeFileSync(
    corpus,
    Array.from({ length: 400 }, (_, i) => words[(i * 7 + (i >> 3)) % words.length]).join(' '),
  );
  const network = 'GPT:layers=1,width=8,heads=2,context=8';
  const t = gradscope(
    ...['train', '--network', network, '--data', `chars:${corpus}`, '--batch-size', '8'],
    ...['--epochs', '2', '--piggyback', '8,16', '--arm-epochs', '1', '--threads', '1'],
    ...['--noise-scale-every', '0', '--quiet', '--out', dir],
  );
  assert.equal(t.status, 0, t.stderr);
  const r = critical(dir, '--epochs', '2', '--batch-sizes', '8,16', '--lr-rule', 'none', '--json');
  assert.equal(r.status, 0, r.stderr);
  const point = (JSON.parse(r.stdout) as Result).points[0]!;
  const arms = readMetrics(path.join(dir, 'metrics.jsonl')).filter(
    (m): m is EpochRecord => m.kind === 'epoch' && m.epoch === 3,
  );
  for (const b of [8, 16]) {
    const arm = arms.find((m) => m.phase === `arm-${b}`)!;
    const branch = point.branches.find((x) => x.batchSize === b)!;
    assert.equal(branch.testLoss, arm.testLoss, `B = ${b}: the arm's test loss per token`);
  }
});

test('a budget that is not an epoch: the same examples for every B, the last step cut; sqrt for Adam', () => {
  const dir = runCopy('budget');
  const r = critical(dir, '--epochs', '2', '--batch-sizes', '16,32,64', '--examples', '100');
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /\| epoch \| start loss \| B = 16 \| B = 32 \| B = 64 \| critical B \| live B_simple \|/,
  );
  const result = JSON.parse(
    fs.readFileSync(path.join(dir, 'critical-batch.json'), 'utf8'),
  ) as Result;
  assert.equal(result.lrRule, 'sqrt');
  const [point] = result.points;
  assert.deepEqual(
    point!.branches.map((b) => [b.batchSize, b.steps, b.examples, b.learningRate]),
    [
      [16, 7, 100, 1e-3],
      [32, 4, 100, 1e-3 * Math.sqrt(2)],
      [64, 2, 100, 2e-3],
    ],
  );
  assert.match(
    r.stdout,
    new RegExp(`\\| 2 \\| [0-9.]+ \\| .* \\| ${point!.criticalBatch} \\| [0-9.]+ \\|`),
  );
});

/** The result without what differs between two runs of it (times, where it ran). */
function numbers(dir: string): unknown {
  const result = JSON.parse(fs.readFileSync(path.join(dir, 'critical-batch.json'), 'utf8')) as {
    points: (Point & { checkpoint?: string; branches: (Branch & { seconds?: number })[] })[];
  };
  return result.points.map((p) => ({
    ...p,
    checkpoint: undefined,
    branches: p.branches.map((b) => ({ ...b, seconds: undefined })),
  }));
}

test('killed after some branches, a rerun keeps them and ends as an uninterrupted run', async () => {
  const args = ['--epochs', '1,2,3', '--batch-sizes', '16,32,64', '--examples', '150'];
  const whole = runCopy('whole');
  assert.equal(critical(whole, ...args).status, 0);
  const dir = runCopy('killed');
  const branchDir = path.join(dir, 'critical-batch');
  const finished = () =>
    fs.existsSync(branchDir)
      ? fs.readdirSync(branchDir).filter((n) => /batch-\d+\.json$/.test(n))
      : [];
  const child = spawn(
    process.execPath,
    [cli, 'analyze', 'critical-batch', dir, '--threads', '1', '--quiet', ...args],
    { stdio: 'ignore' },
  );
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (finished().length >= 2) {
        clearInterval(poll);
        child.kill('SIGKILL');
        resolve();
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(poll);
      reject(new Error('the analysis finished before two branches could be seen'));
    });
  });
  await new Promise((resolve) => child.on('exit', resolve));
  assert.ok(!fs.existsSync(path.join(dir, 'critical-batch.json')), 'killed before the end');
  const kept = finished();
  const times = new Map(kept.map((n) => [n, fs.statSync(path.join(branchDir, n)).mtimeMs]));
  const again = gradscope('analyze', 'critical-batch', dir, '--threads', '1', ...args);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(
    (again.stderr.match(/kept from an earlier run/g) ?? []).length,
    kept.length,
    again.stderr,
  );
  for (const [n, t] of times)
    assert.equal(fs.statSync(path.join(branchDir, n)).mtimeMs, t, `${n} not rewritten`);
  assert.deepEqual(numbers(dir), numbers(whole));
  assert.deepEqual(
    fs.readdirSync(branchDir).filter((n) => n.endsWith('.metrics.jsonl')),
    [],
    'no unfinished branch left',
  );
});

test('bad input: one line naming the option or the folder, exit 2, nothing written', () => {
  const dir = runCopy('bad');
  const empty = tempDir('gradscope-not-a-run-');
  const cases: [string[], RegExp][] = [
    [
      [dir, '--batch-sizes', '64,32'],
      /^gradscope: Expected increasing positive batch sizes for --batch-sizes but received "64,32"\n$/,
    ],
    [
      [dir, '--batch-sizes', '0,32'],
      /^gradscope: Expected a comma-separated list of positive integers for --batch-sizes but received "0,32"\n$/,
    ],
    [
      [dir, '--epochs', '2,7'],
      /^gradscope: --epochs: .* has no checkpoint of process1 at epoch 7 \(there are: 1, 2, 3\)\n$/,
    ],
    [
      [dir, '--batch-sizes', '16,64', '--examples', '32'],
      /^gradscope: Expected at least the largest batch size \(64\) of training examples per branch for --examples but received 32\n$/,
    ],
    [[empty], /^gradscope: .* is not a run directory \(no config\.json\)\n$/],
    [[path.join(empty, 'nothing')], /^gradscope: .*nothing: no such run directory\n$/],
    [
      [dir, '--tolerance', 'x%'],
      /^gradscope: Expected a loss difference .* for --tolerance but received "x%"\n$/,
    ],
  ];
  // asked of the CLI in one process (test/fixtures/cli-one-process.ts)
  const answers = gradscopeEach(cases.map(([args]) => ['analyze', 'critical-batch', ...args]));
  cases.forEach(([args, message], i) => {
    const r = answers[i]!;
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '');
  });
  // a damaged checkpoint among those asked for is named before any branch runs
  const damaged = path.join(dir, 'checkpoints', 'process1', 'epoch-0003.train.safetensors');
  const bytes = fs.readFileSync(damaged);
  bytes[bytes.length - 5] ^= 0xff;
  fs.writeFileSync(damaged, bytes);
  const r = gradscope(
    ...['analyze', 'critical-batch', dir, '--epochs', '1,3', '--batch-sizes', '16,32', '--quiet'],
  );
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(r.stderr.includes(damaged), r.stderr);
  assert.ok(!fs.existsSync(path.join(dir, 'critical-batch')), 'no folder made');
  assert.ok(!fs.existsSync(path.join(dir, 'critical-batch.json')), 'no result written');
  assert.deepEqual(fs.readdirSync(empty), []);
});
