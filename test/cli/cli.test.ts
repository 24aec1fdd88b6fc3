/**
 * The command line as a user meets it: bad input of each kind gives one line on
 * stderr naming what is wrong, a non-zero exit, and no output left behind.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { checkpointLabels } from '../../src/report/checkpoint-labels';
import {
  gradscope,
  idxDataAndNetwork,
  trainOneEpoch,
  writeNetworkFile,
} from '../fixtures/cli-fixtures';
import { gradscopeEach } from '../fixtures/cli-one-process';
import { tempDir } from '../fixtures/data-fixtures';
import { mnistNetwork } from '../fixtures/networks';

/** Each command line fails with one line matching its pattern; all are asked of the CLI in one
 * process (test/fixtures/cli-one-process.ts). */
function fail(cases: [string[], RegExp][]): void {
  const answers = gradscopeEach(cases.map(([args]) => args));
  cases.forEach(([args, pattern], i) => {
    const r = answers[i]!;
    assert.notEqual(r.status, 0, `exit status for ${args.join(' ')}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0]!, pattern);
    assert.match(lines[0]!, /^gradscope: /);
  });
}

const dir = tempDir('gradscope-cli-');
const { data, net } = idxDataAndNetwork(dir, [40, 10], 'cli-net');
const run = path.join(dir, 'run');
const { run: trained, checkpoint } = trainOneEpoch(net, data, run);

test('train writes a run directory and prints its path', () => {
  assert.equal(trained.status, 0, trained.stderr);
  assert.equal(trained.stdout.trim(), run);
  assert.ok(fs.existsSync(checkpoint));
});

test('unknown commands and options, and bad option values', () => {
  fail([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['train', '--bogus'], /Unknown option '--bogus'/],
    [
      ['train', '--network', net, '--data', data, '--epochs', 'ten'],
      /Expected an integer of at least 1 for --epochs but received "ten"/,
    ],
    [
      ['train', '--network', net, '--data', data, '--optimizer', 'lion'],
      /Expected adam or sgd for --optimizer/,
    ],
    [
      ['train', '--network', 'F9'],
      /Expected one of F1, C1, C2, C3, C4, ResNet20, .*, a .json layer list or a TorchScript .pt \(a language model: MODULE.pt:context=N\) for --network/,
    ],
    [['train', '--network', net, '--data', path.join(dir, 'nowhere')], /nowhere/],
    [
      ['train', '--network', 'C1', '--data', data, '--out', path.join(dir, 'c1')],
      /network C1 takes 3x32x32 inputs/,
    ],
    [
      ['train', '--network', net, '--data', data, '--out', run],
      /already holds a run; use --resume/,
    ],
  ]);
  assert.ok(!fs.existsSync(path.join(dir, 'c1')), 'nothing left behind');
});

test('analyze gradients: broken and foreign checkpoints, empty lists, B > M, K < 1', () => {
  const base = ['analyze', 'gradients', '--checkpoint', checkpoint, '--data', data];
  const broken = path.join(dir, 'broken.safetensors');
  fs.writeFileSync(broken, fs.readFileSync(checkpoint).subarray(0, 200));
  const foreign = path.join(dir, 'foreign.safetensors');
  fs.writeFileSync(foreign, 'not a checkpoint at all, but long enough to have a header');
  fail([
    [
      ['analyze', 'gradients', '--checkpoint', path.join(dir, 'none.safetensors')],
      /none\.safetensors: no such checkpoint/,
    ],
    [
      ['analyze', 'gradients', '--checkpoint', broken, '--data', data],
      /broken\.safetensors: .*truncated/,
    ],
    [['analyze', 'gradients', '--checkpoint', foreign, '--data', data], /foreign\.safetensors: /],
    [[...base, '--network', 'F1'], /made for another network: it holds cli-net, not F1/],
    [[...base, '--batch-sizes', ''], /comma-separated list of positive integers for --batch-sizes/],
    [
      [...base, '--batch-sizes', '8,41'],
      /batch size 41 is larger than the training set \(40 examples\)/,
    ],
    [
      [...base, '--samples', '0'],
      /Expected an integer of at least 1 for --samples but received "0"/,
    ],
    [[...base, '--bn', 'train'], /Expected population or batch for --bn/],
    [['analyze', 'wiggle'], /Expected one of gradients.* after "analyze"/],
  ]);
});

test('analyze gradients --json prints the whole result; --out writes tables and figures', () => {
  const out = path.join(dir, 'analysis');
  const r = gradscope(
    'analyze',
    'gradients',
    '--checkpoint',
    checkpoint,
    '--batch-sizes',
    '4,16',
    '--samples',
    '3',
    '--json',
    '--quiet',
    '--out',
    out,
  );
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.kind, 'gradient-distribution');
  assert.deepEqual(
    result.batchSizes.map((b: { batchSize: number }) => b.batchSize),
    [4, 16],
  );
  assert.equal(result.batchSizes[0].draws.length, 3);
  for (const f of [
    'gradients.json',
    'gradients.md',
    'gradients-histograms.csv',
    'gradients-summary.csv',
    'gradients.svg',
    'gradients.png',
  ])
    assert.ok(fs.existsSync(path.join(out, f)), f);
  const md = fs.readFileSync(path.join(out, 'gradients.md'), 'utf8');
  assert.match(md, /\| \[0, 0\.5\) \|/);
  assert.match(md, /B=16 from g_total/);
});

test('analyze line: different networks, an empty grid and a missing checkpoint each fail with one line', () => {
  const otherNet = writeNetworkFile(dir, mnistNetwork('other-net', { out: 12 }));
  const { run: r, checkpoint: other } = trainOneEpoch(otherNet, data, path.join(dir, 'other-run'));
  assert.equal(r.status, 0, r.stderr);
  fail([
    [
      ['analyze', 'line', '--from', checkpoint, '--to', other, '--data', data],
      /other-run.*made for another network/,
    ],
    [
      ['analyze', 'line', '--from', checkpoint, '--to', checkpoint, '--alpha', '0:1:0'],
      /START:END:COUNT .* for --alpha but received "0:1:0"/,
    ],
    [
      ['analyze', 'line', '--from', checkpoint, '--to', checkpoint, '--alpha', '1:-1:5'],
      /for --alpha/,
    ],
    [
      ['analyze', 'line', '--from', path.join(dir, 'gone.safetensors'), '--to', checkpoint],
      /gone\.safetensors: no such checkpoint/,
    ],
    [
      ['analyze', 'line', '--from', checkpoint, '--to', path.join(dir, 'gone.safetensors')],
      /gone\.safetensors: no such checkpoint/,
    ],
    [['analyze', 'line', '--to', checkpoint], /Expected a checkpoint file for --from/],
  ]);
  const ok = gradscope(
    'analyze',
    'line',
    '--from',
    checkpoint,
    '--to',
    checkpoint,
    '--alpha',
    '-1:2:4',
    '--bn',
    'interpolate',
    '--quiet',
    '--json',
  );
  assert.equal(ok.status, 0, ok.stderr);
  const line = JSON.parse(ok.stdout);
  assert.deepEqual(
    line.points.map((p: { alpha: number }) => p.alpha),
    [-1, 0, 1, 2],
  );
});

test('checkpoint labels: the file name, with the folder that tells two same-named files apart', () => {
  assert.deepEqual(
    checkpointLabels(['runs/a/epoch-0029.safetensors', 'runs/a/epoch-0030.safetensors']),
    ['epoch-0029', 'epoch-0030'],
  );
  assert.deepEqual(
    checkpointLabels([
      'runs/seed0/checkpoints/train/epoch-0030.safetensors',
      'runs/seed1/checkpoints/train/epoch-0030.safetensors',
    ]),
    ['seed0/…/epoch-0030', 'seed1/…/epoch-0030'],
  );
  assert.deepEqual(
    checkpointLabels(['x/b1/final.safetensors', 'x/b2/final.safetensors', 'y/c.safetensors']),
    ['b1/final', 'b2/final', 'c'],
  );
});
