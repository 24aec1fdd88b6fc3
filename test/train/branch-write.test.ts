/**
 * Process 2's starting point, checkpoints/branch.safetensors, survives a kill while it is
 * written (issue 19, item 1): it is written atomically, and a resume that finds it missing,
 * empty or damaged re-creates it from process 1's last checkpoint and ends as an
 * uninterrupted run would. The kill is real: a test-only hook in the atomic writer
 * SIGKILLs the process after the first bytes of the named file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { readMetrics, type StatusRecord } from '../../src/store/metrics';
import { cli, gradscope } from '../fixtures/cli-fixtures';
import { assertSameRun, filesUnder, piggybackRun } from '../fixtures/run-files';

test('a kill inside the branch write, then resume, ends identical to an uninterrupted run', () => {
  const { root, args } = piggybackRun();
  const whole = path.join(root, 'whole');
  const killed = path.join(root, 'killed');
  assert.equal(gradscope(...args(whole)).status, 0);

  const env = {
    ...process.env,
    GRADSCOPE_TEST_KILL_WRITING: 'branch.safetensors',
    GRADSCOPE_TEST_KILL_AFTER_BYTES: '64',
  };
  const dying = spawnSync(process.execPath, [cli, ...args(killed)], { env, encoding: 'utf8' });
  assert.equal(dying.signal, 'SIGKILL', `the hook should kill it: ${dying.stderr}`);
  assert.ok(!fs.existsSync(path.join(killed, 'checkpoints', 'branch.safetensors')));

  const resumed = gradscope(...args(killed), '--resume');
  assert.equal(resumed.status, 0, resumed.stderr);
  assertSameRun(killed, whole);
  assert.deepEqual(
    filesUnder(killed).filter((f) => f.includes('.tmp-')),
    [],
    'no temporary file is left',
  );
});

test('a resume that finds branch.safetensors empty (a kill during a plain copy) re-creates it', () => {
  const { root, args } = piggybackRun();
  const whole = path.join(root, 'whole');
  const broken = path.join(root, 'broken');
  assert.equal(gradscope(...args(whole)).status, 0);
  assert.equal(gradscope(...args(broken)).status, 0);

  // What a kill during the old copy left: an empty branch file, no arm started.
  for (const arm of ['arm-16', 'arm-48'])
    fs.rmSync(path.join(broken, 'checkpoints', arm), { recursive: true });
  const metrics = path.join(broken, 'metrics.jsonl');
  const kept = readMetrics(metrics).filter((r) => r.phase === 'process1');
  fs.writeFileSync(metrics, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  fs.writeFileSync(path.join(broken, 'checkpoints', 'branch.safetensors'), '');

  const resumed = gradscope(...args(broken), '--resume');
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /branch\.safetensors/);
  assertSameRun(broken, whole);
  const statuses = (run: string) =>
    readMetrics(path.join(run, 'metrics.jsonl'))
      .filter((r) => r.kind === 'status')
      .map((r) => [r.phase, (r as StatusRecord).status]);
  assert.deepEqual(statuses(broken), statuses(whole));
});
