/**
 * Switch studies (issue 29 item 4): the config's checks (one line naming the file and the field,
 * a variant's by the variant), the shipped configs, and a tiny study end to end through the
 * command line: every variant on the same seeds, a ramp by the critical batch size waiting for
 * its table, the report's tables with an interval for every arm against the control and the
 * fixed switch, a resume that changes nothing, and the study's piece options refused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { CONFIG_DIR } from '../../src/experiments/config';
import { readSwitchConfig } from '../../src/experiments/switch-config';
import {
  switchStudyStatus,
  type SwitchPhaseStatus,
  type SwitchStudyStatus,
} from '../../src/experiments/switch-status';
import { livePage, runFingerprint } from '../../src/report/live-server';
import { readMetrics, type EpochRecord } from '../../src/store/metrics';
import { cli, gradscope, urlOf, writeNetworkFile } from '../fixtures/cli-fixtures';
import { assertFileError, tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { mnistNetwork } from '../fixtures/networks';

const dir = tempDir('gradscope-switch-');

const base = `
network: F1
data: mnist
seeds: [0, 1]
batchSize: 10
variants:
  - { name: small, process1: { epochs: 1 }, process2: { arms: [10], epochs: 2 } }
  - { name: fixed, process1: { epochs: 2 }, process2: { arms: [40], epochs: 1 } }
control: small/arm-10
fixedSwitch: fixed
`;

function write(text: string): string {
  const file = path.join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

test('the shipped switch configs load: the control, the fixed, accuracy and noise-scale switches, the ramps', () => {
  for (const name of ['switch.yaml', 'switch-demo.yaml']) {
    const c = readSwitchConfig(path.join(CONFIG_DIR, name));
    assert.deepEqual(
      c.variants.map((v) => v.name),
      ['small-batch', 'fixed', 'accuracy', 'noise-scale'],
    );
    assert.equal(c.control, 'small-batch/arm-256');
    assert.equal(c.fixedSwitch, 'fixed');
    assert.deepEqual(
      c.variants[0]!.process2.ramps!.map((r) => r.by),
      ['noise-scale', 'critical-batch'],
    );
    assert.ok(c.variants[2]!.process1.convergence);
    assert.ok(c.variants[3]!.process1.switchAt);
  }
  assert.equal(
    readSwitchConfig(path.join(CONFIG_DIR, 'switch.yaml')).variants[1]!.process1.epochs,
    60,
  );
});

test('every wrong field of a switch study is one line naming the file and the field', () => {
  const wrong = (text: string, problem: RegExp) => {
    const file = write(text);
    assertFileError(() => readSwitchConfig(file), file, problem);
  };
  wrong(`${base}arms: [1]\n`, /arms: unknown field \(fields here: name, scale/);
  wrong(
    base.replace('control: small/arm-10', 'control: small/arm-40'),
    /an arm as variant\/phase \(small\/arm-10, fixed\/arm-40\) for control but received "small\/arm-40"/,
  );
  wrong(
    base.replace('fixedSwitch: fixed', 'fixedSwitch: none'),
    /one of the variants \(small, fixed\) for fixedSwitch but received "none"/,
  );
  wrong(
    base.replace('name: fixed', 'name: small'),
    /distinct variant names for variants\[1\]\.name but received "small"/,
  );
  wrong(
    base.replace('name: fixed', 'name: Fixed_1'),
    /for variants\[1\]\.name but received "Fixed_1"/,
  );
  wrong(
    base.replace('{ name: fixed,', '{ name: fixed, seeds: [3],'),
    /variants\[1\]\.seeds: unknown field/,
  );
  wrong(
    base.replace('process1: { epochs: 2 }', 'process1: { epochs: 0 }'),
    /variant fixed \(variants\[1\]\): Expected an integer from 1 to \d+ for process1\.epochs but received 0/,
  );
  wrong(
    base.replace(
      'process1: { epochs: 2 }',
      'process1: { epochs: 2, switchAt: { noiseScale: { fraction: 1.5 } } }',
    ),
    /variant fixed \(variants\[1\]\): Expected a fraction in \(0, 1\] for process1\.switchAt\.noiseScale\.fraction but received 1\.5/,
  );
  wrong(
    base.replace(
      'arms: [10], epochs: 2',
      'arms: [10], epochs: 2, ramps: [{ by: noise-scale, grid: [100, 50] }]',
    ),
    /variant small \(variants\[0\]\): .*process2\.ramps\[0\]\.grid/,
  );
  wrong(
    `${base}noiseScaleEvery: 0\n`.replace(
      'arms: [10], epochs: 2',
      'arms: [10], epochs: 2, ramps: [{ by: noise-scale }]',
    ),
    /variant small \(variants\[0\]\): .*noiseScaleEvery > 0.* for noiseScaleEvery but received 0/,
  );
  wrong(
    `${base}noiseScaleEvery: -3\n`,
    /^[^:]+\.yaml: Expected an integer from 0 to \d+ for noiseScaleEvery but received -3/,
  );
  wrong(
    base.replace(/variants:[\s\S]*control/, 'variants: []\ncontrol'),
    /a non-empty list of variants for variants/,
  );
  const measured = base.replace(
    'arms: [10], epochs: 2',
    'arms: [10], epochs: 2, ramps: [{ by: critical-batch, table: measured }]',
  );
  wrong(
    measured,
    /a criticalBatch section with a ramp whose table is "measured" for criticalBatch/,
  );
  const section = (text: string) => `${measured}criticalBatch: { ${text} }\n`;
  wrong(
    section('from: none, epochs: [1], batchSizes: [10]'),
    /one of the variants \(small, fixed\) for criticalBatch\.from/,
  );
  wrong(
    section('from: fixed, epochs: [1, 3], batchSizes: [10]'),
    /increasing epochs of process 1 of fixed \(1 to 2\) for criticalBatch\.epochs/,
  );
  wrong(
    section('from: fixed, epochs: [1], batchSizes: [40, 10]'),
    /increasing positive batch sizes for criticalBatch\.batchSizes/,
  );
  wrong(
    section('from: fixed, epochs: [1], batchSizes: [10], tolerance: "x%"'),
    /for criticalBatch\.tolerance but received "x%"/,
  );
  wrong(
    section('from: fixed, epochs: [1], batchSizes: [10], grid: [1]'),
    /criticalBatch\.grid: unknown field/,
  );
});

test('a tiny switch study end to end: every arm on the same seeds, its table, a waiting ramp', async () => {
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  writeIdxFolder(data, false, [120, 40]);
  const network = writeNetworkFile(
    dir,
    mnistNetwork('tiny', { out: 8, bias: false, batchNorm: true }),
  );
  const table = path.join(dir, 'critical-batch.json');
  const file = write(`
name: tiny switch
scale: demo
network: ${network}
data: ${data}
seeds: [0, 1]
batchSize: 10
noiseScaleEvery: 3
sharpness: { eps: [0.001], subspace: 0, iterations: 1, topK: 0, hutchinson: 0, sampleSize: 40 }
variants:
  - name: small
    process1: { epochs: 1 }
    process2:
      arms: [10]
      epochs: 2
      ramps:
        - { by: noise-scale, grid: [10, 20, 40] }
        - { by: critical-batch, table: ${table}, grid: [10, 20, 40] }
        - { name: measured, by: critical-batch, table: measured, grid: [10, 20, 40] }
  - { name: fixed, process1: { epochs: 2 }, process2: { arms: [20, 40], epochs: 1 } }
  - name: accuracy
    process1: { epochs: 2, convergence: { window: 1, patience: 1, threshold: 0.5 } }
    process2: { arms: [40], epochs: 1 }
  - name: noise
    process1: { epochs: 2, switchAt: { noiseScale: { fraction: 0.01, batchSize: 40 } } }
    process2: { arms: [20, 40], epochs: 1 }
control: small/arm-10
fixedSwitch: fixed
criticalBatch: { from: fixed, epochs: [1, 2], batchSizes: [10, 20, 40], examples: 40, tolerance: "5%", sampleSize: 40 }
`);
  const out = path.join(dir, 'run');
  for (const option of ['--plan', '--only=seed-0.process1', '--jobs=2'])
    assert.match(
      gradscope('run', file, ...option.split('='), '--out', out).stderr,
      /is a switch study, which runs in one process/,
    );
  assert.equal(fs.existsSync(out), false);
  const run = gradscope('run', file, '--out', out, '--quiet', '--threads', '1');
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), out);
  // every variant trained both seeds; the critical-batch ramp waited for its table
  for (const seed of [0, 1]) {
    const records = (variant: string) =>
      readMetrics(path.join(out, 'variants', variant, 'seeds', String(seed), 'metrics.jsonl'));
    const epochs = (variant: string, phase: string) =>
      records(variant).filter((r): r is EpochRecord => r.kind === 'epoch' && r.phase === phase);
    assert.equal(epochs('small', 'arm-10').length, 2);
    assert.equal(epochs('small', 'ramp-noise-scale').length, 2);
    assert.equal(epochs('small', 'ramp-critical-batch').length, 0);
    // the ramp on the critical batch size measured for this seed along process 1 of fixed
    assert.equal(epochs('small', 'ramp-measured').length, 2);
    const measured = JSON.parse(
      fs.readFileSync(
        path.join(out, 'variants', 'fixed', 'seeds', String(seed), 'critical-batch.json'),
        'utf8',
      ),
    ) as { points: { epoch: number; criticalBatch: number }[] };
    assert.deepEqual(
      measured.points.map((p) => p.epoch),
      [1, 2],
    );
    // its first epoch (epoch 2 of training) follows the point of epoch 1: the largest grid value
    // at most B* (B* is a grid value here)
    const first = records('small').find(
      (r) => r.kind === 'batch-size' && r.phase === 'ramp-measured',
    ) as { batchSize: number } | undefined;
    assert.equal(first?.batchSize, measured.points[0]!.criticalBatch);
    assert.equal(epochs('fixed', 'process1').length, 2);
    assert.equal(epochs('fixed', 'arm-40').length, 1);
    assert.equal(
      epochs('noise', 'process1').length,
      1,
      'the noise-scale rule switches after epoch 1',
    );
    assert.ok(records('noise').some((r) => r.kind === 'status' && r.status === 'switched'));
    // the control is B1 throughout: the same first epoch in both variants (one seed, one B1)
    assert.equal(
      epochs('small', 'process1')[0]!.trainLoss,
      epochs('fixed', 'process1')[0]!.trainLoss,
    );
    assert.ok(
      fs.existsSync(path.join(out, 'variants', 'fixed', 'sharpness', `seed-${seed}-arm-40.json`)),
    );
  }
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /<section id="switch"><h2>When to switch, and to what<\/h2>/);
  assert.match(html, /DEMO SCALE/);
  assert.match(html, /small\/ramp-critical-batch needs its critical-batch table/);
  const csv = fs
    .readFileSync(path.join(out, 'tables', 'switch.csv'), 'utf8')
    .trim()
    .split('\n');
  // 8 arms that ran (and the waiting one) x 6 quantities
  assert.equal(csv.length - 1, 9 * 6);
  assert.match(html, /id="switch-critical-batch"/);
  // the critical batch size and process 1's live B_simple as a figure per seed
  for (const seed of [0, 1]) {
    const figure = new RegExp(
      `<figure data-figure="switch-critical-batch-${seed}">[\\s\\S]*?</figure>`,
    ).exec(html);
    assert.ok(figure, `the figure of seed ${seed}`);
    assert.match(figure[0], /critical batch size/);
    assert.match(figure[0], /live B_simple/);
  }
  const row = (arm: string, q: string) =>
    csv
      .find((l) => l.startsWith(`"${arm}","${q}",`))!
      .replace(/"/g, '')
      .split(',');
  // an arm against the control and the fixed switch: two seeds, so intervals
  const noise40 = row('noise/arm-40', 'testAccuracy');
  assert.equal(noise40[2], '2');
  assert.ok(noise40[6] !== '' && noise40[7] !== '', noise40.join(','));
  assert.equal(noise40[8], 'fixed/arm-40');
  // the ramp against the fixed switch's largest arm; steps: 1 epoch of process 1 + 2 of the ramp
  assert.equal(row('small/ramp-noise-scale', 'steps')[8], 'fixed/arm-40');
  assert.equal(row('small/arm-10', 'steps')[3], String(3 * 12));
  assert.equal(row('small/arm-10', 'examples')[3], String(3 * 120));
  assert.equal(row('fixed/arm-40', 'steps')[3], String(2 * 12 + 3));
  assert.ok(Number(row('fixed/arm-20', 'sharpness')[3]) > 0);
  const md = fs.readFileSync(path.join(out, 'tables', 'switch.md'), 'utf8');
  assert.match(md, /### small\/arm-10 \(small-batch control\)/);
  // a resume with nothing left to do leaves the training as it was
  const before = fs.readFileSync(
    path.join(out, 'variants', 'fixed', 'seeds', '1', 'metrics.jsonl'),
    'utf8',
  );
  const again = gradscope('run', file, '--out', out, '--resume', '--quiet', '--threads', '1');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(
    fs.readFileSync(path.join(out, 'variants', 'fixed', 'seeds', '1', 'metrics.jsonl'), 'utf8'),
    before,
  );
  // gradscope status: every phase done but the ramp that waits for its table; the branches
  const status = gradscope('status', out, '--json');
  assert.equal(status.status, 0, status.stderr);
  const { switchStudy: s } = JSON.parse(status.stdout) as { switchStudy: SwitchStudyStatus };
  assert.equal(s.phases.length, 2 * (3 + 5 + 2 + 3));
  assert.deepEqual(
    s.phases
      .filter((p) => p.state !== 'done')
      .map((p) => `${p.seed} ${p.variant}/${p.phase} ${p.state} ${p.waitsFor}`),
    [0, 1].map((seed) => `${seed} small/ramp-critical-batch waiting ${table}`),
  );
  const noise1 = s.phases.find((p) => p.variant === 'noise' && p.phase === 'process1')!;
  assert.deepEqual([noise1.ended, noise1.trained, noise1.epochs], ['switched', 1, 2]);
  assert.deepEqual(
    s.criticalBatch.map((k) => [k.seed, k.from, k.state, k.branches, k.of]),
    [
      [0, 'fixed', 'done', 6, 6],
      [1, 'fixed', 'done', 6, 6],
    ],
  );
  const text = gradscope('status', out).stdout;
  assert.match(text, /small\/ramp-critical-batch +waiting +0\/2 epochs, waits for /);
  assert.match(text, /noise\/process1 +done \(switched\) +1\/2 epochs/);
  assert.match(text, /26 done, 0 running, 2 waiting \(of 28\)\n$/);
  // a phase stopped part-way (its end not written) is waiting, with the epochs it has
  const partial = path.join(dir, 'partial');
  fs.cpSync(out, partial, { recursive: true });
  const fixed0 = path.join(partial, 'variants', 'fixed', 'seeds', '0', 'metrics.jsonl');
  const lines = fs.readFileSync(fixed0, 'utf8').split('\n');
  fs.writeFileSync(
    fixed0,
    lines.filter((l) => !/"kind":"status","phase":"arm-20"/.test(l)).join('\n'),
  );
  const arm20 = (switchStudyStatus(partial).phases as SwitchPhaseStatus[]).find(
    (p) => p.seed === 0 && p.variant === 'fixed' && p.phase === 'arm-20',
  )!;
  assert.deepEqual([arm20.state, arm20.trained, arm20.epochs], ['waiting', 1, 1]);
  // its report leaves the stopped arm out for that seed (its last epoch is not an outcome) and
  // says what remains; serve's page is the same report, and its fingerprint sees each variant
  const stopped = gradscope('report', partial);
  assert.equal(stopped.status, 0, stopped.stderr);
  const partialCsv = fs.readFileSync(path.join(partial, 'tables', 'switch.csv'), 'utf8');
  assert.match(partialCsv, /^"fixed\/arm-20","testAccuracy",1,/m);
  assert.match(partialCsv, /^"fixed\/arm-40","testAccuracy",2,/m);
  assert.doesNotMatch(partialCsv, /NaN/, 'no number is an empty cell');
  const partialHtml = fs.readFileSync(path.join(partial, 'report.html'), 'utf8');
  assert.match(partialHtml, /<section id="switch-progress">/);
  assert.match(
    partialHtml,
    /<td>0<\/td><td>fixed\/arm-20<\/td><td>waiting<\/td><td>1\/1 epochs<\/td>/,
  );
  // the whole study's progress: only the ramps that wait for their table
  const progress = /<section id="switch-progress">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
  assert.match(progress, /small\/ramp-critical-batch<\/td><td>waiting: waits for /);
  assert.doesNotMatch(progress, /fixed\/arm-20/);
  const page = livePage(partial);
  assert.match(page, /<section id="switch"><h2>When to switch, and to what<\/h2>/);
  assert.match(page, /id="live-status"/);
  const seen = runFingerprint(partial);
  fs.appendFileSync(fixed0, '\n');
  assert.notEqual(runFingerprint(partial), seen, "a variant's metrics.jsonl is in the fingerprint");
  // gradscope serve takes a switch study (it refused it as "a training run")
  const server = spawn(process.execPath, [cli, 'serve', partial, '--port', '0', '--quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const served = await fetch(await urlOf(server));
    assert.equal(served.status, 200);
    assert.match(await served.text(), /<section id="switch-progress">/);
  } finally {
    server.kill('SIGINT');
  }
  // the report's figures are files too: the critical batch size per seed
  for (const seed of [0, 1])
    assert.ok(fs.existsSync(path.join(out, 'figures', `switch-critical-batch-seed-${seed}.svg`)));
  // gradscope report rebuilds it
  const report = gradscope('report', out);
  assert.equal(report.status, 0, report.stderr);
});
