/**
 * The report shows the critical batch size of a seed when its run directory holds
 * critical-batch.json (`gradscope analyze critical-batch seeds/S`): a section with the figure,
 * the measured values and process 1's live B_simple on the same axes, and the table; without
 * the file, no section. A damaged file is named, never drawn.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { thesisStudy } from '../../src/experiments/config';
import { studyModel } from '../../src/report/study-model';
import { studyReportHtml } from '../../src/report/study-report';
import { criticalBatchFigure } from '../../src/report/critical-batch-figure';
import { tempDir } from '../fixtures/data-fixtures';

/** A study of one seed whose process 1 measured the live noise scale twice. */
function study(): { dir: string; seedRun: string } {
  const dir = tempDir('gradscope-critical-report-');
  const config = { ...thesisStudy(), seeds: [0] };
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({ gradscope: '0', study: config, data: 'MNIST' }),
  );
  const seedRun = path.join(dir, 'seeds', '0');
  fs.mkdirSync(seedRun, { recursive: true });
  const noise = (epoch: number, b: number) => ({
    kind: 'noise-scale',
    phase: 'process1',
    epoch,
    atEpoch: epoch - 0.5,
    step: epoch * 100,
    batchSize: 256,
    chunks: 4,
    chunkSize: 64,
    gradientSquared: 1,
    trace: b,
    emaSteps: 640,
    gradientSquaredAverage: 1,
    traceAverage: b,
    simpleNoiseScale: b,
    normTest: b / 256,
    seconds: 0.01,
  });
  fs.writeFileSync(
    path.join(seedRun, 'metrics.jsonl'),
    [noise(1, 321.5), noise(2, 876.25)].map((r) => JSON.stringify(r) + '\n').join(''),
  );
  return { dir, seedRun };
}

const result = {
  points: [
    {
      epoch: 1,
      criticalBatch: 512,
      liveNoiseScale: 321.5,
      branches: [
        { batchSize: 256, loss: 0.25 },
        { batchSize: 512, loss: 0.2578125 },
        { batchSize: 1000, loss: null },
      ],
    },
  ],
  phase: 'process1',
  batchSizes: [256, 512, 1000],
  examples: 60000,
  lrRule: 'sqrt',
  tolerance: { kind: 'absolute', value: 0.01 },
  lossKind: 'train',
  sampleSize: 10000,
};

test('a seed with critical-batch.json gets the section, its figure and table', () => {
  const { dir, seedRun } = study();
  assert.doesNotMatch(
    studyReportHtml(studyModel(dir)),
    /id="critical-batch"/,
    'no file, no section',
  );
  fs.writeFileSync(path.join(seedRun, 'critical-batch.json'), JSON.stringify(result));
  const html = studyReportHtml(studyModel(dir));
  assert.match(html, /<section id="critical-batch"/);
  assert.match(html, /data-figure="critical-batch-0"/);
  const section = html.slice(html.indexOf('<section id="critical-batch"'));
  for (const cell of ['512', '321.5', '0.25000', '0.25781', 'diverged'])
    assert.ok(section.includes(`>${cell}<`), `the table shows ${cell}`);
});

test('the figure draws the measured critical batch size and the live B_simple on one axis', () => {
  const svg = criticalBatchFigure(result, [
    [0.5, 321.5],
    [1.5, 876.25],
  ]);
  assert.match(svg, /critical batch size/);
  assert.match(svg, /live B_simple/);
  assert.match(svg, /log scale/);
});

test('a damaged critical-batch.json is named, never drawn', () => {
  const { dir, seedRun } = study();
  const file = path.join(seedRun, 'critical-batch.json');
  fs.writeFileSync(file, JSON.stringify({ points: [{ epoch: 'five' }], batchSizes: [] }));
  assert.throws(
    () => studyModel(dir),
    (e: Error) => e.message.includes(file) && /without its points/.test(e.message),
  );
  fs.writeFileSync(file, '{"points": [');
  assert.throws(
    () => studyModel(dir),
    (e: Error) => e.message.includes(file) && /not valid JSON/.test(e.message),
  );
});
