/**
 * The live noise scale in a study (issue 29 item 1): `noiseScaleEvery` in the study config,
 * checked in one line naming the file and field, reaches process 1 and every arm; the report
 * shows the live B_simple beside Experiment B's at each analysis point, each with its standard
 * error, as a table, a table file and a figure per seed; the latest measurement as a table.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { readStudyConfig, thesisConfig, type StudyConfig } from '../../src/experiments/config';
import { runStudy } from '../../src/experiments/runner';
import { trainConfigOf } from '../../src/experiments/train-config';
import { writeStudyReport } from '../../src/report/study-report';
import { makeProgress } from '../../src/train/progress';
import { readMetrics, type NoiseScaleRecord } from '../../src/store/metrics';
import { writeNetworkFile } from '../fixtures/cli-fixtures';
import { assertFileError, tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { mnistNetwork } from '../fixtures/networks';

const dir = tempDir('gradscope-study-noise-');

test('noiseScaleEvery: a wrong value is one line naming the file and the field', () => {
  const base = `network: F1\ndata: mnist\nprocess1: { batchSize: 256, epochs: 3 }\nprocess2: { arms: [256, 1000], epochs: 2 }\n`;
  const write = (extra: string) => {
    const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
    fs.writeFileSync(file, `${base}${extra}`);
    return file;
  };
  for (const [extra, shown] of [
    ['noiseScaleEvery: -1\n', '-1'],
    ['noiseScaleEvery: 2.5\n', '2.5'],
    ['noiseScaleEvery: often\n', '"often"'],
    ['noiseScaleEvery: 1000000000000\n', '1000000000000'],
  ] as const) {
    const file = write(extra);
    assertFileError(
      () => readStudyConfig(file),
      file,
      new RegExp(`Expected an integer from 0 to \\d+ for noiseScaleEvery but received ${shown}`),
    );
  }
  const off = readStudyConfig(write('noiseScaleEvery: 0\n'));
  assert.equal(off.noiseScaleEvery, 0);
  assert.equal(trainConfigOf(off, 0).noiseScaleEvery, 0);
  // absent: the training runs' own default, and nothing new in config.json
  assert.equal('noiseScaleEvery' in trainConfigOf(readStudyConfig(write('')), 0), false);
  assert.equal('noiseScaleExamples' in trainConfigOf(readStudyConfig(write('')), 0), false);
  // the examples a measurement takes: at least 2, reaching the training runs
  for (const [extra, shown] of [
    ['noiseScaleExamples: 1\n', '1'],
    ['noiseScaleExamples: 16.5\n', '16.5'],
  ] as const) {
    const file = write(extra);
    assertFileError(
      () => readStudyConfig(file),
      file,
      new RegExp(`Expected an integer from 2 to \\d+ for noiseScaleExamples but received ${shown}`),
    );
  }
  const sixteen = readStudyConfig(write('noiseScaleExamples: 16\n'));
  assert.equal(trainConfigOf(sixteen, 0).noiseScaleExamples, 16);
});

test('a study measures every noiseScaleEvery steps in process 1 and every arm; the report compares', async () => {
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  writeIdxFolder(data, false, [200, 40]);
  const network = writeNetworkFile(
    dir,
    mnistNetwork('tiny', { out: 8, bias: false, batchNorm: true }),
  );
  const thesis = thesisConfig('F1');
  const config: StudyConfig = {
    ...thesis,
    network,
    data,
    seeds: [0],
    noiseScaleEvery: 3,
    process1: { batchSize: 10, epochs: 3 },
    process2: { arms: [10, 40], epochs: 1 },
    analysis: {
      ...thesis.analysis,
      every: 1,
      batchSizes: [10, 40],
      armEvery: 1,
      armBatchSizes: [10, 40],
      samples: 4,
    },
    lines: { ...thesis.lines, pairs: [] },
  };
  delete (config as Partial<StudyConfig>).sharpness;
  delete (config as Partial<StudyConfig>).trajectory;
  const out = path.join(dir, 'run');
  await runStudy(config, out, { resume: false, progress: makeProgress({ quiet: true }) });
  const records = readMetrics(path.join(out, 'seeds', '0', 'metrics.jsonl'));
  const live = records.filter((r): r is NoiseScaleRecord => r.kind === 'noise-scale');
  for (const phase of ['process1', 'arm-10', 'arm-40']) {
    const own = live.filter((r) => r.phase === phase);
    assert.ok(own.length > 0, phase);
    assert.ok(
      own.every((r) => r.step % 3 === 0),
      `${phase}: ${own.map((r) => r.step)}`,
    );
  }
  // 20 steps an epoch at B = 10: steps 0, 3, ..., 57 in process 1
  assert.equal(live.filter((r) => r.phase === 'process1').length, 20);

  const { file } = writeStudyReport(out);
  const html = fs.readFileSync(file, 'utf8');
  assert.match(html, /<section id="noise-scale-comparison">/);
  assert.match(html, /data-figure="noise-scale-comparison-0"/);
  assert.match(html, /id="live-noise-scale-latest"/);
  assert.ok(fs.existsSync(path.join(out, 'figures', 'noise-scale-comparison-seed-0.svg')));
  const csv = fs
    .readFileSync(path.join(out, 'tables', 'noise-scale-comparison.csv'), 'utf8')
    .trim()
    .replace(/"/g, '')
    .split('\n');
  // one row per Experiment B point: process 1 at epochs 1-3, each arm at epoch 4
  const points = fs.readdirSync(path.join(out, 'seeds', '0', 'analysis'));
  assert.equal(csv.length - 1, points.length);
  assert.equal(points.length, 5);
  // process 1 at epoch 2 (step 40): the live value is that of the measurement at step 39
  // (the nearest), and both carry an interval
  const epoch2 = csv.find((l) => l.startsWith('0,process1,2,40,'));
  assert.ok(epoch2, csv.join('\n'));
  const at39 = live.find((r) => r.phase === 'process1' && r.step === 39)!;
  assert.ok(epoch2.includes(`${at39.simpleNoiseScale.toFixed(1)} ± `), epoch2);
  assert.match(epoch2, /\(K = 4\)/);
  // an arm's first point (epoch 4, arm-40 at step 65): its nearest measurement is its own
  const arm = csv.find((l) => l.startsWith('0,arm-40,4,'));
  assert.ok(arm, csv.join('\n'));
});
