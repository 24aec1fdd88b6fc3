/**
 * SIGTERM and SIGINT stop a run cleanly (issue 19, item 9): the step in progress
 * completes, the last complete epoch's checkpoint stays, the run says where it
 * stopped and the exact command that resumes it, exits 128 + the signal, and the
 * resumed run ends bit-identical to an uninterrupted one. A killed study's report
 * says it is incomplete.
 */
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { readSafetensors } from '../../src/engine/safetensors';
import { readMetrics, type EpochRecord, type StatusRecord } from '../../src/store/metrics';
import { cli, gradscope, idxDataAndNetwork } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { smallStudy } from '../fixtures/study-fixture';

const dir = tempDir('gradscope-signal-');
const { data, net } = idxDataAndNetwork(dir, [3000, 200], 'signal-net');
const trainArgs = (out: string) => [
  ...['train', '--network', net, '--data', data, '--batch-size', '8', '--epochs', '12'],
  ...['--threads', '1', '--seed', '3', '--quiet', '--out', out],
];

/** Starts gradscope, sends `signal` once `ready()` holds, and resolves with its exit. */
function runAndSignal(
  args: string[],
  ready: () => boolean,
  signal: NodeJS.Signals,
): Promise<{ status: number | null; signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const poll = setInterval(() => {
    if (ready()) {
      clearInterval(poll);
      child.kill(signal);
    }
  }, 5);
  return new Promise((resolve) =>
    child.on('exit', (status, sig) => {
      clearInterval(poll);
      resolve({ status, signal: sig, stderr });
    }),
  );
}

const epochsIn = (out: string) =>
  readMetrics(path.join(out, 'metrics.jsonl'))
    .filter((r): r is EpochRecord => r.kind === 'epoch')
    .map((r) => [r.epoch, r.testLoss]);

const finalWeights = (out: string) =>
  readSafetensors(path.join(out, 'checkpoints', 'train', 'epoch-0012.safetensors')).tensors.get(
    '1.weight',
  )!.data;

test('SIGTERM stops a training run with where and how to resume; the resumed run is exact', async () => {
  const whole = path.join(dir, 'whole');
  assert.equal(gradscope(...trainArgs(whole)).status, 0);
  const stopped = path.join(dir, 'stopped');
  const r = await runAndSignal(trainArgs(stopped), () => epochsIn(stopped).length >= 2, 'SIGTERM');
  assert.equal(r.signal, null, 'it handled the signal');
  assert.equal(r.status, 143, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.match(
    lines[0]!,
    /^gradscope: train stopped by SIGTERM before step \d+ of 375 in epoch \d+; epoch \d+ is the last complete one/,
  );
  const resume = /^gradscope: resume with: gradscope (.*)$/.exec(lines[1]!);
  assert.ok(resume, r.stderr);
  assert.match(resume[1]!, / --resume$/);
  const done = epochsIn(stopped).length;
  assert.ok(done >= 2 && done < 12, `stopped after ${done} epochs`);
  const names = fs.readdirSync(path.join(stopped, 'checkpoints', 'train'));
  assert.equal(names.filter((n) => n.includes('.tmp-')).length, 0, names.join(' '));
  assert.equal(names.filter((n) => n.endsWith('.train.safetensors')).length, done);
  assert.ok(!fs.existsSync(path.join(stopped, 'run.lock')));
  const status = readMetrics(path.join(stopped, 'metrics.jsonl')).pop() as StatusRecord;
  assert.equal(status.status, 'stopped');

  // the printed command, run as printed (its arguments need no quoting here)
  const again = gradscope(...resume[1]!.split(' '));
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(epochsIn(stopped), epochsIn(whole));
  assert.deepEqual(finalWeights(stopped), finalWeights(whole));
});

test('SIGINT exits 130', async () => {
  const out = path.join(dir, 'interrupted');
  const r = await runAndSignal(trainArgs(out), () => epochsIn(out).length >= 1, 'SIGINT');
  assert.equal(r.status, 130, r.stderr);
  assert.match(r.stderr, /stopped by SIGINT/);
});

test('a study stopped by SIGTERM reports itself incomplete', async () => {
  const { dir: studyDir, configFile } = smallStudy();
  // one seed: what makes a report incomplete is the same for each
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  fs.writeFileSync(configFile, JSON.stringify({ ...config, seeds: [0] }));
  const out = path.join(studyDir, 'stopped');
  const metrics = path.join(out, 'seeds', '0', 'metrics.jsonl');
  const r = await runAndSignal(
    ['run', configFile, '--threads', '1', '--quiet', '--out', out],
    () => readMetrics(metrics).some((m) => m.kind === 'epoch'),
    'SIGTERM',
  );
  assert.equal(r.status, 143, r.stderr);
  assert.match(r.stderr, /resume with: gradscope run .* --resume/);
  const report = gradscope('report', out, '--quiet');
  assert.equal(report.status, 0, report.stderr);
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /data-state="incomplete"/);

  // resumed to the end it is complete; without one of its lines it is not
  const resumed = gradscope(
    'run',
    configFile,
    '--threads',
    '1',
    '--quiet',
    '--out',
    out,
    '--resume',
  );
  assert.equal(resumed.status, 0, resumed.stderr);
  const page = () => fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.doesNotMatch(page(), /data-state=/);
  fs.rmSync(path.join(out, 'lines', 'seed-0-arm-10-arm-50.json'));
  assert.equal(gradscope('report', out, '--quiet').status, 0);
  assert.match(page(), /data-state="incomplete"/);
  assert.match(page(), /seed 0: the line arm-10 -&gt; arm-50: not done yet/);
});
