/**
 * Switch and ramp rules (docs/mathematics.md, "Switch and ramp rules"): the noise-scale switch's
 * trigger on records computed by hand; the ramp's grid, table and learning-rate rules by hand;
 * a run whose process 1 ends where the rule says on the records of a run without it (training is
 * the same with the rule: the measurement does not touch it), and again after a kill between the
 * checkpoint and the status line; ramp arms whose batch-size records follow their rules; a ramp
 * arm killed with SIGKILL and resumed ends bit-identical to an uninterrupted one; bad input
 * refused in one line with exit status 2 (options, study fields, and checkTrainConfig's fields).
 */
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import type { StudyData } from '../../src/data/load';
import type { NetworkSpec } from '../../src/engine/layers';
import { readSafetensors } from '../../src/engine/safetensors';
import { setThreads } from '../../src/engine/threads';
import {
  noiseScaleRecords,
  readMetrics,
  type BatchSizeRecord,
  type EpochRecord,
  type MetricsRecord,
  type StatusRecord,
} from '../../src/store/metrics';
import { checkTrainConfig, defaultTrainConfig, type TrainConfig } from '../../src/train/config';
import { makeProgress } from '../../src/train/progress';
import { criticalBatchAt, gridBatch, rampBatchSize, rampLearningRate } from '../../src/train/ramp';
import { runTraining } from '../../src/train/run';
import { judgeSwitch, switchEpoch, switchTarget } from '../../src/train/switch-rule';
import { cli, writeNetworkFile } from '../fixtures/cli-fixtures';
import { gradscopeEach } from '../fixtures/cli-one-process';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { randomStudyData } from '../fixtures/helpers';
import { mnistNetwork } from '../fixtures/networks';

const quiet = makeProgress({ quiet: true });

const small: NetworkSpec = mnistNetwork('small', {
  out: 16,
  bias: false,
  batchNorm: true,
  dropout: 0.2,
});

const smallFile = writeNetworkFile(tempDir('gradscope-net-'), small);

async function train(
  config: Partial<TrainConfig>,
  data: StudyData,
  runDir = path.join(tempDir('gradscope-ramp-'), 'run'),
  resume = false,
): Promise<{ runDir: string; records: MetricsRecord[] }> {
  setThreads({ torch: 1, blas: 1 });
  await runTraining(
    {
      ...defaultTrainConfig(),
      network: smallFile,
      data: 'in-memory',
      ...config,
    },
    runDir,
    { resume, progress: quiet, data },
  );
  return { runDir, records: readMetrics(path.join(runDir, 'metrics.jsonl')) };
}

const epochsOf = (records: MetricsRecord[], phase: string) =>
  records.filter((r): r is EpochRecord => r.kind === 'epoch' && r.phase === phase);
const batchChanges = (records: MetricsRecord[], phase: string) =>
  records.filter((r): r is BatchSizeRecord => r.kind === 'batch-size' && r.phase === phase);
const statusOf = (records: MetricsRecord[], phase: string, status: string) =>
  records.find(
    (r): r is StatusRecord => r.kind === 'status' && r.phase === phase && r.status === status,
  );

function writeTable(points: { epoch: number; criticalBatch: number }[]): string {
  const file = path.join(tempDir('gradscope-table-'), 'critical-batch.json');
  fs.writeFileSync(file, JSON.stringify({ points }));
  return file;
}

test('the noise-scale switch fires at the first epoch whose last B_simple reaches f x B2', () => {
  // f = 0.5 of B2 = 1000 (the largest arm): threshold 500
  const target = switchTarget({ noiseScale: { fraction: 0.5 } }, [256, 1000, 400])!;
  assert.deepEqual(target, { fraction: 0.5, batchSize: 1000 });
  const r = (epoch: number, b: number, g = 1) => ({
    epoch,
    simpleNoiseScale: b,
    gradientSquaredAverage: g,
  });
  const records = [
    r(1, 120),
    r(1, 510), // above, but not the epoch's last measurement
    r(1, 300),
    r(2, 450),
    r(2, 9e9, -0.1), // |G|^2's average negative: no usable B_simple, the rule waits
    r(4, 499.9),
    r(5, 500), // exactly f B2
    r(6, 800),
  ];
  assert.equal(switchEpoch(target, records, 10), 5);
  assert.equal(switchEpoch(target, records, 4), undefined);
  // an epoch without measurements keeps the last one's value
  assert.equal(switchEpoch(target, [r(1, 700)], 3), 1);
  // the batch size stated overrides the largest arm: 0.25 x 2000 = 500
  const stated = switchTarget({ noiseScale: { fraction: 0.25, batchSize: 2000 } }, [5000])!;
  assert.equal(switchEpoch(stated, records, 10), 5);
  // on the phase state's averages: B_simple = trace / |G|^2 = 5 / 0.01 = 500
  const at = (trace: number, g: number) =>
    judgeSwitch(target, { average: 'scale-free', trace, gradientSquared: g, weight: 0.3 });
  assert.equal(at(5, 0.01).switched, true);
  assert.equal(at(4.99, 0.01).switched, false);
  assert.equal(at(5, -0.01).switched, false);
  assert.equal(judgeSwitch(target, undefined).switched, false);
});

test('the ramp: grid value at or below c x driver, never shrinking; the table piecewise constant; the learning-rate rules', () => {
  const grid = [256, 512, 1000, 2000, 5000];
  assert.equal(gridBatch(grid, 999), 512);
  assert.equal(gridBatch(grid, 1000), 1000);
  assert.equal(gridBatch(grid, 10), 256); // never below the grid
  assert.equal(gridBatch(grid, 1e9), 5000);
  assert.deepEqual(rampBatchSize(grid, 2, undefined, 300), {
    batchSize: 512,
    driver: 300,
    target: 600,
  });
  assert.equal(rampBatchSize(grid, 2, 1000, 100).batchSize, 1000); // never shrinks
  assert.equal(rampBatchSize(grid, 1, undefined, undefined).batchSize, 256);
  assert.equal(rampBatchSize(grid, 1, 2000, undefined).batchSize, 2000);
  const table = [
    { epoch: 2, criticalBatch: 300 },
    { epoch: 5, criticalBatch: 1500 },
  ];
  assert.deepEqual(
    [0, 2, 4, 5, 9].map((e) => criticalBatchAt(table, e)),
    [300, 300, 300, 1500, 1500],
  );
  assert.equal(rampLearningRate('none', 1e-3, 256, 1024, undefined), 1e-3);
  assert.equal(rampLearningRate('sqrt', 1e-3, 256, 1024, undefined), 2e-3);
  assert.equal(rampLearningRate('linear', 0.1, 250, 1000, undefined), 0.4);
  assert.equal(rampLearningRate('linear', 0.1, 250, 1000, 0.3), 0.3);
});

test('process 1 switches where the rule says on the records of a run without it, and again after a kill before the status line', async () => {
  const data = randomStudyData(240, 40, [1, 28, 28], 10, 21);
  const base = {
    batchSize: 24,
    epochs: 5,
    seed: 3,
    noiseScaleEvery: 3,
    piggyback: { arms: [48], epochs: 1 },
  };
  const plain = await train(base, data);
  const measured = noiseScaleRecords(plain.records, 'process1');
  // the last measurement of epoch 3 as the threshold (B2 = 10^6): the rule fires at the first
  // epoch whose last B_simple reaches it, 3 or earlier
  const last3 = measured.filter((r) => r.epoch === 3).pop()!;
  assert.ok(last3.gradientSquaredAverage > 0, 'a usable B_simple at epoch 3');
  const rule = { noiseScale: { fraction: last3.simpleNoiseScale / 1e6, batchSize: 1e6 } };
  const expected = switchEpoch(switchTarget(rule, undefined)!, measured, 5)!;
  assert.ok(expected >= 1 && expected <= 3, `fires at ${expected}`);

  const switched = await train({ ...base, switchAt: rule }, data);
  assert.equal(epochsOf(switched.records, 'process1').length, expected);
  const status = statusOf(switched.records, 'process1', 'switched')!;
  assert.equal(status.epoch, expected);
  assert.equal(status.branchEpoch, expected);
  assert.ok(status.simpleNoiseScale! >= status.switchThreshold!);
  assert.match(
    statusOf(switched.records, 'process1', 'branched')!.message,
    /chosen by the noise-scale switch rule/,
  );
  // the arm starts after the switch epoch; its epochs are those of the plain run's process 1
  assert.deepEqual(
    epochsOf(switched.records, 'arm-48').map((r) => r.epoch),
    [expected + 1],
  );
  assert.deepEqual(
    epochsOf(switched.records, 'process1').map((r) => r.testLoss),
    epochsOf(plain.records, 'process1')
      .slice(0, expected)
      .map((r) => r.testLoss),
  );

  // a kill after the switch epoch's checkpoint, before its status line: a resume ends there
  const metrics = path.join(switched.runDir, 'metrics.jsonl');
  const kept = readMetrics(metrics).filter((r) => r.kind !== 'status' && r.phase === 'process1');
  fs.writeFileSync(metrics, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  fs.rmSync(path.join(switched.runDir, 'checkpoints', 'arm-48'), { recursive: true });
  fs.rmSync(path.join(switched.runDir, 'checkpoints', 'branch.safetensors'));
  const resumed = await train({ ...base, switchAt: rule }, data, switched.runDir, true);
  assert.equal(epochsOf(resumed.records, 'process1').length, expected);
  assert.equal(statusOf(resumed.records, 'process1', 'switched')!.epoch, expected);
  assert.deepEqual(
    epochsOf(resumed.records, 'arm-48').map((r) => r.epoch),
    [expected + 1],
  );
});

test('ramp arms: batch-size records follow the table and c x the live B_simple on the grid', async () => {
  const data = randomStudyData(240, 40, [1, 28, 28], 10, 22);
  const table = writeTable([
    { epoch: 0, criticalBatch: 10 },
    { epoch: 3, criticalBatch: 45 },
    { epoch: 4, criticalBatch: 30 },
  ]);
  const grid = [12, 24, 40, 80];
  const c = 0.5;
  const { records } = await train(
    {
      batchSize: 12,
      epochs: 2,
      seed: 4,
      noiseScaleEvery: 2,
      optimizer: { kind: 'sgd', lr: 0.01, momentum: 0.9 },
      piggyback: {
        arms: [24],
        epochs: 4,
        ramps: [
          { by: 'critical-batch', table, grid, lr: 'linear', lrCap: 0.025 },
          { by: 'noise-scale', factor: c, grid, name: 'bsimple' },
        ],
      },
    },
    data,
  );
  // by the table, epochs 3..6 after 2..5 epochs done: 10, 45, 30, 30 -> 12, 40, 40, 40 (24 at
  // 30 would shrink it); lr 0.01 B / 12 capped at 0.025
  const table5 = epochsOf(records, 'ramp-critical-batch');
  assert.deepEqual(
    table5.map((r) => [r.epoch, r.batchSize, r.learningRate]),
    [
      [3, 12, 0.01],
      [4, 40, 0.025],
      [5, 40, 0.025],
      [6, 40, 0.025],
    ],
  );
  assert.deepEqual(
    batchChanges(records, 'ramp-critical-batch').map((r) => [
      r.epoch,
      r.previousBatchSize,
      r.batchSize,
      r.driver,
    ]),
    [
      [3, 12, 12, 10],
      [4, 12, 40, 45],
    ],
  );

  // by B_simple: at each epoch's start, the last measurement before it (process 1's for the
  // arm's first epoch: the averages carry on), its B_simple x c on the grid, never shrinking
  const ramp = epochsOf(records, 'ramp-bsimple');
  assert.equal(ramp.length, 4);
  const measurements = [
    ...noiseScaleRecords(records, 'process1'),
    ...noiseScaleRecords(records, 'ramp-bsimple'),
  ];
  let current: number | undefined;
  const expectedChanges: [number, number][] = [];
  for (const e of ramp) {
    const before = measurements.filter((m) => (m.phase === 'process1' ? true : m.epoch < e.epoch));
    const last = before[before.length - 1]!;
    const b =
      last.gradientSquaredAverage > 0 ? gridBatch(grid, c * last.simpleNoiseScale) : undefined;
    const next = Math.max(current ?? grid[0]!, b ?? grid[0]!);
    if (next !== current) expectedChanges.push([e.epoch, next]);
    current = next;
    assert.equal(e.batchSize, next, `epoch ${e.epoch}`);
    assert.equal(e.learningRate, 0.01 * (next / 12), 'SGD: linear by default');
  }
  assert.deepEqual(
    batchChanges(records, 'ramp-bsimple').map((r) => [r.epoch, r.batchSize]),
    expectedChanges,
  );
  assert.ok(batchChanges(records, 'ramp-bsimple')[0]!.driver! > 0, 'driven by a measurement');
});

/** The newest checkpoint of `phase` and its training state (optimizer, RNG), every number. */
function finalParameters(runDir: string, phase: string): Float64Array {
  const dir = path.join(runDir, 'checkpoints', phase);
  const last = fs
    .readdirSync(dir)
    .filter((n) => /^epoch-\d+\.safetensors$/.test(n))
    .sort()
    .pop()!;
  const out: number[] = [];
  for (const file of [last, last.replace('.safetensors', '.train.safetensors')]) {
    const read = readSafetensors(path.join(dir, file));
    for (const name of read.order)
      for (const v of read.tensors.get(name)!.data) out.push(Number(v));
  }
  return Float64Array.from(out);
}

test('a ramp arm killed with SIGKILL mid-epoch and resumed ends bit-identical to an uninterrupted one', async () => {
  const dataDir = tempDir('gradscope-idx-');
  writeIdxFolder(dataDir, false, [2000, 100]);
  const network = writeNetworkFile(tempDir('gradscope-net-'), small);
  const table = writeTable([
    { epoch: 0, criticalBatch: 8 },
    { epoch: 4, criticalBatch: 20 },
  ]);
  const args = (out: string) => [
    cli,
    'train',
    '--network',
    network,
    '--data',
    dataDir,
    '--batch-size',
    '8',
    '--epochs',
    '2',
    '--piggyback',
    '100',
    '--arm-epochs',
    '4',
    '--noise-scale-every',
    '8',
    '--ramp-noise-scale',
    '0.1',
    '--ramp-critical-batch',
    table,
    '--ramp-grid',
    '8,10,12,16',
    '--ramp-lr',
    'sqrt',
    '--threads',
    '1',
    '--seed',
    '6',
    '--quiet',
    '--out',
    out,
  ];
  const root = tempDir('gradscope-ramp-kill-');
  const whole = path.join(root, 'whole');
  const killed = path.join(root, 'killed');
  const run = (a: string[]) =>
    new Promise<number | null>((resolve) =>
      spawn(process.execPath, a, { stdio: 'ignore' }).on('exit', resolve),
    );
  assert.equal(await run(args(whole)), 0);

  // kill once the first ramp arm has one epoch done, inside its second
  const child = spawn(process.execPath, args(killed), { stdio: 'ignore' });
  const metrics = path.join(killed, 'metrics.jsonl');
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (epochsOf(readMetrics(metrics), 'ramp-noise-scale').length >= 1) {
        clearInterval(poll);
        setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 40);
      }
    }, 5);
  });
  await new Promise((resolve) => child.on('exit', resolve));
  const before = epochsOf(readMetrics(metrics), 'ramp-noise-scale').length;
  assert.ok(before >= 1 && before < 4, `killed after ${before} ramp epochs`);

  assert.equal(await run([...args(killed), '--resume']), 0);
  const all = (dir: string) => readMetrics(path.join(dir, 'metrics.jsonl'));
  for (const phase of ['ramp-noise-scale', 'ramp-critical-batch']) {
    assert.deepEqual(finalParameters(killed, phase), finalParameters(whole, phase), phase);
    const view = (dir: string) => [
      epochsOf(all(dir), phase).map((r) => [r.epoch, r.batchSize, r.learningRate, r.testLoss]),
      batchChanges(all(dir), phase).map((r) => [r.epoch, r.batchSize, r.driver]),
    ];
    assert.deepEqual(view(killed), view(whole), phase);
  }
  // the ramps did grow their batch size in this run (the first record is the arm's start)
  assert.ok(batchChanges(all(whole), 'ramp-critical-batch').length === 2);
  assert.ok(batchChanges(all(whole), 'ramp-noise-scale').length >= 2);
});

test('bad switch and ramp options and config fields are refused in one line, exit status 2', () => {
  const missing = path.join(tempDir('gradscope-table-'), 'missing.json');
  const malformed = path.join(tempDir('gradscope-table-'), 'bad.json');
  fs.writeFileSync(malformed, JSON.stringify({ points: [{ epoch: 3, criticalBatch: -1 }] }));
  const unordered = writeTable([
    { epoch: 4, criticalBatch: 100 },
    { epoch: 2, criticalBatch: 200 },
  ]);
  const good = writeTable([{ epoch: 0, criticalBatch: 100 }]);
  const notJson = path.join(tempDir('gradscope-table-'), 'x.json');
  fs.writeFileSync(notJson, '{ points: ');
  const cases: [string[], RegExp][] = [
    [['--piggyback', '1000', '--switch-at-noise-scale', '0'], /--switch-at-noise-scale/],
    [['--piggyback', '1000', '--switch-at-noise-scale', '1.5'], /--switch-at-noise-scale/],
    [
      ['--switch-at-noise-scale', '0.5'],
      /--switch-at-noise-scale.*--switch-batch-size or --piggyback|--switch-batch-size or --piggyback.*--switch-at-noise-scale/,
    ],
    [['--piggyback', '1000', '--switch-batch-size', '1000'], /--switch-batch-size/],
    [
      ['--piggyback', '1000', '--switch-at-noise-scale', '0.5', '--patience', '3'],
      /--switch-at-noise-scale/,
    ],
    [
      ['--piggyback', '1000', '--switch-at-noise-scale', '0.5', '--noise-scale-every', '0'],
      /--noise-scale-every/,
    ],
    [
      ['--piggyback', '1000', '--ramp-noise-scale', '1', '--noise-scale-every', '0'],
      /--noise-scale-every/,
    ],
    [['--ramp-noise-scale', '1'], /--piggyback.*for --ramp-noise-scale/],
    [['--ramp-critical-batch', good], /--piggyback.*for --ramp-critical-batch/],
    [['--piggyback', '1000', '--ramp-noise-scale', '0'], /--ramp-noise-scale/],
    [
      ['--piggyback', '1000', '--ramp-noise-scale', '1', '--ramp-grid', '256,1000,512'],
      /--ramp-grid/,
    ],
    [['--piggyback', '1000', '--ramp-grid', '256,512'], /--ramp-grid/],
    [['--piggyback', '1000', '--ramp-lr', 'sqrt'], /--ramp-lr/],
    [['--piggyback', '1000', '--ramp-noise-scale', '1', '--ramp-lr', 'cubic'], /--ramp-lr/],
    [['--piggyback', '1000', '--ramp-noise-scale', '1', '--ramp-lr-cap', '-1'], /--ramp-lr-cap/],
    [['--piggyback', '1000', '--ramp-critical-batch', missing], new RegExp(`${missing}: `)],
    [
      ['--piggyback', '1000', '--ramp-critical-batch', malformed],
      new RegExp(`${malformed}: .*criticalBatch`),
    ],
    [
      ['--piggyback', '1000', '--ramp-critical-batch', unordered],
      new RegExp(`${unordered}: .*epochs must increase`),
    ],
    [
      ['--piggyback', '1000', '--ramp-critical-batch', notJson],
      new RegExp(`${notJson}: is not valid JSON`),
    ],
  ];
  const out = tempDir('gradscope-bad-');
  // asked of the CLI in one process (test/fixtures/cli-one-process.ts); a case that wrote the
  // run would also make each later one fail for another reason (the run exists)
  const answers = gradscopeEach(
    cases.map(([args]) => [
      'train',
      ...args,
      '--epochs',
      '1',
      '--quiet',
      '--out',
      path.join(out, 'run'),
    ]),
  );
  cases.forEach(([args, message], i) => {
    const r = answers[i]!;
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message, args.join(' '));
  });
  assert.equal(fs.existsSync(path.join(out, 'run')), false, 'nothing written');
});

test('bad switch and ramp fields of a study config are refused in one line naming the file and field', () => {
  const dir = tempDir('gradscope-study-');
  const write = (name: string, process1: string, process2: string, top = '') => {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(
      file,
      `name: s\nnetwork: F1\ndata: mnist\n${top}process1: ${process1}\nprocess2: ${process2}\n`,
    );
    return file;
  };
  const arms = '{ arms: [256, 1000], epochs: 1';
  const cases: [string, RegExp][] = [
    [
      write(
        'f0',
        '{ batchSize: 256, epochs: 2, switchAt: { noiseScale: { fraction: 0 } } }',
        `${arms} }`,
      ),
      /process1\.switchAt\.noiseScale\.fraction/,
    ],
    [
      write(
        'f2',
        '{ batchSize: 256, epochs: 2, switchAt: { noiseScale: { fraction: 2 } } }',
        `${arms} }`,
      ),
      /process1\.switchAt\.noiseScale\.fraction/,
    ],
    [
      write(
        'both',
        '{ batchSize: 256, epochs: 2, switchAt: { noiseScale: { fraction: 0.5 } }, convergence: { patience: 2, threshold: 0 } }',
        `${arms} }`,
      ),
      /process1\.switchAt/,
    ],
    [
      write(
        'off',
        '{ batchSize: 256, epochs: 2, switchAt: { noiseScale: { fraction: 0.5 } } }',
        `${arms} }`,
        'noiseScaleEvery: 0\n',
      ),
      /noiseScaleEvery/,
    ],
    [
      write(
        'grid',
        '{ batchSize: 256, epochs: 2 }',
        `${arms}, ramps: [{ by: noise-scale, grid: [512, 256] }] }`,
      ),
      /process2\.ramps\[0\]\.grid/,
    ],
    [
      write('by', '{ batchSize: 256, epochs: 2 }', `${arms}, ramps: [{ by: loss }] }`),
      /process2\.ramps\[0\]\.by/,
    ],
    [
      write('table', '{ batchSize: 256, epochs: 2 }', `${arms}, ramps: [{ by: critical-batch }] }`),
      /process2\.ramps\[0\]\.table/,
    ],
    [
      write(
        'lr',
        '{ batchSize: 256, epochs: 2 }',
        `${arms}, ramps: [{ by: noise-scale, lr: cubic }] }`,
      ),
      /process2\.ramps\[0\]\.lr/,
    ],
    [
      write(
        'twice',
        '{ batchSize: 256, epochs: 2 }',
        `${arms}, ramps: [{ by: noise-scale }, { by: noise-scale, factor: 2 }] }`,
      ),
      /process2\.ramps\[1\]\.name/,
    ],
    [
      write(
        'nsoff',
        '{ batchSize: 256, epochs: 2 }',
        `${arms}, ramps: [{ by: noise-scale }] }`,
        'noiseScaleEvery: 0\n',
      ),
      /noiseScaleEvery/,
    ],
  ];
  // asked of the CLI in one process (test/fixtures/cli-one-process.ts)
  const answers = gradscopeEach(cases.map(([file]) => ['run', file, '--plan']));
  cases.forEach(([file, message], i) => {
    const r = answers[i]!;
    assert.equal(r.status, 2, `${file}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`${file}: `));
    assert.match(r.stderr, message, file);
  });
});

test('checkTrainConfig refuses bad switch and ramp fields, naming each', () => {
  const arms = { arms: [256, 1000], epochs: 2 };
  const cases: [Partial<TrainConfig>, RegExp][] = [
    [
      { switchAt: { noiseScale: { fraction: 0 } }, piggyback: arms },
      /switchAt\.noiseScale\.fraction/,
    ],
    [
      { switchAt: { noiseScale: { fraction: 1.01 } }, piggyback: arms },
      /switchAt\.noiseScale\.fraction/,
    ],
    [
      { switchAt: { noiseScale: { fraction: 0.5, batchSize: 0 } }, piggyback: arms },
      /switchAt\.noiseScale\.batchSize/,
    ],
    [
      { switchAt: { noiseScale: { fraction: 0.5 } } },
      /switchAt\.noiseScale.*batchSize|batchSize.*switchAt\.noiseScale/,
    ],
    [
      { switchAt: { noiseScale: { fraction: 0.5 } }, piggyback: arms, noiseScaleEvery: 0 },
      /noiseScaleEvery/,
    ],
    [
      {
        switchAt: { noiseScale: { fraction: 0.5 } },
        piggyback: arms,
        convergence: { patience: 2, threshold: 0 },
      },
      /switchAt/,
    ],
    [
      { piggyback: { ...arms, ramps: [{ by: 'noise-scale', grid: [512, 512] }] } },
      /ramps\[0\]\.grid/,
    ],
    [{ piggyback: { ...arms, ramps: [{ by: 'noise-scale', factor: -1 }] } }, /ramps\[0\]\.factor/],
    [
      { piggyback: { ...arms, ramps: [{ by: 'noise-scale' }] }, noiseScaleEvery: 0 },
      /noiseScaleEvery/,
    ],
    [{ piggyback: { ...arms, ramps: [{ by: 'critical-batch' }] } }, /ramps\[0\]\.table/],
    [{ piggyback: { ...arms, ramps: [{ by: 'noise-scale', lrCap: 0 }] } }, /ramps\[0\]\.lrCap/],
    [
      { piggyback: { ...arms, ramps: [{ by: 'noise-scale', name: 'Bad Name' }] } },
      /ramps\[0\]\.name/,
    ],
  ];
  for (const [config, message] of cases)
    assert.throws(
      () => checkTrainConfig({ ...defaultTrainConfig(), ...config }),
      message,
      JSON.stringify(config),
    );
});
