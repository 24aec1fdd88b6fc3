/**
 * Divergence is caught when the loss explodes, not only when it stops being finite
 * (issue 19, item 6): Adam at lr 1e6 reaches finite losses of 1e12 and must not be
 * reported "finished". A study that diverged in its first epoch, or a report asked for
 * before any epoch, still renders and says so. A diverged `train` or whole `run` exits 3
 * (issue 27), documented in --help; one piece of a study (--only) exits 0.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { setThreads } from '../../src/engine/threads';
import { readStudyConfig } from '../../src/experiments/config';
import { defaultTrainConfig } from '../../src/train/config';
import { divergenceBound } from '../../src/train/divergence';
import { readMetrics, type StatusRecord } from '../../src/store/metrics';
import { makeProgress } from '../../src/train/progress';
import { runTraining } from '../../src/train/run';
import { gradscope, writeNetworkFile } from '../fixtures/cli-fixtures';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { randomStudyData } from '../fixtures/helpers';
import { smallStudy } from '../fixtures/study-fixture';
import { mnistNetwork } from '../fixtures/networks';

const dir = tempDir('gradscope-diverge-');
const network = writeNetworkFile(dir, mnistNetwork('diverge-net', { out: 32 }));

test('the bound: 1000 x max(initial loss, ln C)', () => {
  assert.equal(divergenceBound(10, undefined), 1000 * Math.log(10));
  assert.equal(divergenceBound(10, 50), 50_000);
  assert.equal(divergenceBound(100, 1), 1000 * Math.log(100));
});

test('Adam at lr 1e6 is stopped as diverged though its loss stays finite', async () => {
  setThreads({ torch: 1, blas: 1 });
  const runDir = path.join(dir, 'adam');
  await runTraining(
    {
      ...defaultTrainConfig(),
      network,
      data: 'in-memory',
      batchSize: 10,
      epochs: 3,
      optimizer: { kind: 'adam', lr: 1e6 },
    },
    runDir,
    {
      resume: false,
      progress: makeProgress({ quiet: true }),
      data: randomStudyData(200, 40, [1, 28, 28], 10, 3),
    },
  );
  const records = readMetrics(path.join(runDir, 'metrics.jsonl'));
  const status = records.find((r): r is StatusRecord => r.kind === 'status')!;
  assert.equal(status.status, 'diverged', status.message);
  assert.match(status.message, /exceeds 1000 x max\(initial loss, ln C\)/);
});

test('a diverged train exits 3, says so even with --quiet, and --help documents it', () => {
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  writeIdxFolder(data, false, [200, 40]);
  const out = path.join(dir, 'diverged-train');
  const r = gradscope(
    ...['train', '--network', network, '--data', data, '--batch-size', '10', '--epochs', '2'],
    ...['--optimizer', 'adam', '--lr', '1e6', '--threads', '1', '--quiet', '--json'],
    ...['--out', out],
  );
  assert.equal(r.status, 3, r.stderr);
  const result = JSON.parse(r.stdout) as { phases: { phase: string; status: string }[] };
  assert.deepEqual(
    result.phases.map((p) => p.status),
    ['diverged'],
  );
  assert.match(r.stderr, /^gradscope: train diverged .*exit status 3$/m);
  for (const command of ['train', 'run', 'demo'])
    assert.match(gradscope(command, '--help').stdout, /^ {2}3 +a phase diverged/m, command);
  // a run that does not diverge still exits 0
  const fine = gradscope(
    ...['train', '--network', network, '--data', data, '--batch-size', '10', '--epochs', '1'],
    ...['--threads', '1', '--quiet', '--out', path.join(dir, 'fine-train')],
  );
  assert.equal(fine.status, 0, fine.stderr);
});

test('a study diverged in its first epoch, and one with no epoch yet, still get a report', () => {
  const { dir: studyDir, configFile } = smallStudy();
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  const diverging = path.join(studyDir, 'diverging.json');
  fs.writeFileSync(
    diverging,
    JSON.stringify({
      ...config,
      seeds: [0],
      optimizer: { kind: 'adam', lr: 1e6 },
      sharpness: undefined,
    }),
  );
  const out = path.join(studyDir, 'diverged');
  // one piece alone: its divergence is its result, recorded for the pieces after it
  const piece = gradscope(
    ...['run', diverging, '--threads', '1', '--quiet', '--out', path.join(studyDir, 'piece')],
    ...['--only', 'seed-0.process1'],
  );
  assert.equal(piece.status, 0, piece.stderr);
  const r = gradscope('run', diverging, '--threads', '1', '--quiet', '--out', out);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /seed 0 process1 diverged .*exit status 3/);
  assert.equal(
    r.stderr
      .trim()
      .split('\n')
      .filter((l) => /Expected|Error/.test(l)).length,
    0,
    r.stderr,
  );
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /data-state="diverged"/);
  assert.match(html, /DIVERGED/);

  // a run directory with its config and no epoch yet
  const empty = path.join(studyDir, 'empty');
  fs.mkdirSync(empty);
  fs.writeFileSync(
    path.join(empty, 'config.json'),
    JSON.stringify({ gradscope: '0', study: readStudyConfig(configFile), data: 'files' }),
  );
  const report = gradscope('report', empty, '--quiet');
  assert.equal(report.status, 0, report.stderr);
  const page = fs.readFileSync(path.join(empty, 'report.html'), 'utf8');
  assert.match(page, /data-state="incomplete"/);
  assert.match(page, /INCOMPLETE/);
});
