/**
 * `run thesis` as the study ran it, shortened: configs/thesis.yaml's structure (fixed
 * process 1 with Experiment B every `every` epochs at two B, four arms with every
 * epoch analysed, three seeds) at tiny epochs and draws. The process-1 analysis
 * points fall at the configured epochs, the trajectories take process 1 every `every`
 * epochs, and the report holds Tables 3.2 to 3.6 in the thesis layout and the
 * conclusions with their intervals.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { thesisConfig, type StudyConfig } from '../../src/experiments/config';
import { runStudy } from '../../src/experiments/runner';
import { writeStudyReport } from '../../src/report/study-report';
import { makeProgress } from '../../src/train/progress';
import { readMetrics } from '../../src/store/metrics';
import { writeNetworkFile } from '../fixtures/cli-fixtures';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { mnistNetwork } from '../fixtures/networks';

test('a shortened thesis study: process-1 points at the configured epochs, Tables 3.2-3.6', async () => {
  const thesis = thesisConfig('F1');
  // the shipped structure: fixed 60 epochs, points every 10 at two B, three seeds
  assert.equal(thesis.process1.epochs, 60);
  assert.equal(thesis.process1.convergence, undefined);
  assert.deepEqual(thesis.seeds, [0, 1, 2]);
  assert.equal(thesis.analysis.every, 10);

  const dir = tempDir('gradscope-thesis-');
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  writeIdxFolder(data, false, [200, 40]);
  const network = writeNetworkFile(
    dir,
    mnistNetwork('tiny', { out: 8, bias: false, batchNorm: true }),
  );
  // the same structure, scaled down: B1 256 -> 10, arms x/25, 60 epochs -> 6, every 10 -> 2
  const config: StudyConfig = {
    ...thesis,
    network,
    data,
    process1: { batchSize: 10, epochs: 6 },
    process2: { arms: [10, 40, 80, 200], epochs: 2 },
    analysis: {
      ...thesis.analysis,
      every: 2,
      batchSizes: [10, 200],
      armBatchSizes: [10, 40, 80, 200],
      samples: 3,
    },
    lines: { ...thesis.lines, pairs: [['arm-10', 'arm-200']], alpha: '-1:2:4', sampleSize: 50 },
  };
  delete (config as Partial<StudyConfig>).sharpness;
  // the trajectories: process 1 every 5 of 60 epochs -> every 2 of 6, a coarse grid
  assert.equal(thesis.trajectory?.every, 5);
  config.trajectory = { ...thesis.trajectory!, every: 2, points: 3, sampleSize: 50, evalSize: 50 };
  const out = path.join(dir, 'run');
  await runStudy(config, out, { resume: false, progress: makeProgress({ quiet: true }) });
  const { model } = writeStudyReport(out);

  for (const seed of [0, 1, 2]) {
    const names = fs.readdirSync(path.join(out, 'seeds', String(seed), 'analysis'));
    const process1 = names.filter((n) => n.startsWith('process1-')).sort();
    assert.deepEqual(process1, [
      'process1-epoch-2.json',
      'process1-epoch-4.json',
      'process1-epoch-6.json',
    ]);
    // every epoch of each arm (epochs 7 and 8)
    for (const b of [10, 40, 80, 200])
      for (const e of [7, 8]) assert.ok(names.includes(`arm-${b}-epoch-${e}.json`), `${b} ${e}`);
    const branched = readMetrics(path.join(out, 'seeds', String(seed), 'metrics.jsonl')).find(
      (r) => r.kind === 'status' && r.status === 'branched',
    );
    assert.equal(branched?.epoch, 6);
    const trajectory = JSON.parse(
      fs.readFileSync(path.join(out, 'trajectories', `seed-${seed}.json`), 'utf8'),
    ) as { paths: { label: string; points: { epoch: number }[] }[] };
    assert.deepEqual(
      trajectory.paths.map((p) => [p.label, p.points.map((q) => q.epoch)]),
      [['process1', [2, 4, 6]], ...[10, 40, 80, 200].map((b) => [`arm-${b}`, [6, 7, 8]])],
    );
  }

  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  for (const n of ['3.2', '3.3', '3.4', '3.5', '3.6'])
    for (const seed of [0, 1, 2])
      assert.ok(
        html.includes(`data-thesis-table="${n}" data-seed="${seed}"`),
        `Table ${n} of seed ${seed}`,
      );
  const md = fs.readFileSync(path.join(out, 'tables', 'thesis-tables.md'), 'utf8');
  // Table 3.2: process 1 at B = 10, columns epochs 2, 4, 6; each column sums to K = 3
  const t32 = md.split('### Table 3.2')[1]!.split('###')[0]!;
  assert.match(t32, /process 1, B = 10/);
  assert.match(t32, /epoch 2 from g_train \| epoch 2 from g_total \| epoch 4 from g_train/);
  const rows = t32.split('\n').filter((l) => l.startsWith('| [') || l.startsWith('| >='));
  const sums = rows
    .map((r) => r.split('|').slice(2, -1).map(Number))
    .reduce((s, r) => s.map((x, i) => x + r[i]!), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(sums, [3, 3, 3, 3, 3, 3]);
  assert.match(md, /### Table 3\.6: piggybacked arm B2 = 200, B = 200/);

  // conclusions: three seeds give an interval for each piggybacked arm
  assert.ok(html.includes('id="conclusions-table"'));
  const conclusions = fs.readFileSync(path.join(out, 'tables', 'conclusions.md'), 'utf8');
  assert.match(
    conclusions,
    /B2 = 200 \(piggybacked\) vs B2 = 10 \(small-batch\), final test accuracy: difference [-+][0-9.e-]+ \(95% interval .* 3 seeds\): (better|worse|not distinguishable at this number of seeds)/,
  );
  assert.equal(model.seeds.length, 3);
});
