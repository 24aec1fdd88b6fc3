/**
 * Temporary files of the atomic writer left by a killed process (issue 19, item 9) are
 * removed when a run starts or resumes: only files of the writer's own naming pattern, and
 * only those whose process is gone; a live writer's file and anything else are kept.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { gradscope } from '../fixtures/cli-fixtures';
import { piggybackRun } from '../fixtures/run-files';
import { smallStudy } from '../fixtures/study-fixture';

/** The PID of a process that has exited (reuse within the test is improbable). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

test("resume removes a dead writer's temporary files and keeps a live one's and others", () => {
  const { root, args } = piggybackRun();
  const run = path.join(root, 'run');
  assert.equal(gradscope(...args(run)).status, 0);
  const dir = path.join(run, 'checkpoints', 'process1');
  const dead = path.join(dir, `.epoch-0003.safetensors.tmp-${deadPid()}-0123456789ab`);
  const deadAtTop = path.join(run, `.metrics.jsonl.tmp-${deadPid()}-ba9876543210`);
  const live = path.join(dir, `.epoch-0003.safetensors.tmp-${process.pid}-0123456789ab`);
  const foreign = path.join(dir, `.notes.tmp-${deadPid()}`);
  for (const file of [dead, deadAtTop, live, foreign]) fs.writeFileSync(file, 'x'.repeat(1000));

  const resumed = gradscope(...args(run), '--resume');
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.ok(!fs.existsSync(dead), "a dead writer's temporary file is removed");
  assert.ok(!fs.existsSync(deadAtTop), 'also at the top of the run directory');
  assert.ok(fs.existsSync(live), "a live writer's temporary file is kept");
  assert.ok(fs.existsSync(foreign), "a file not of the writer's pattern is kept");
});

test('a study started again where a kill took its first config.json leaves no temporary file', () => {
  // `run` killed inside the write of config.json: the directory holds only its temporary
  const { dir, configFile } = smallStudy();
  const out = path.join(dir, 'run');
  fs.mkdirSync(out);
  const left = path.join(out, `.config.json.tmp-${deadPid()}-0123456789ab`);
  fs.writeFileSync(left, '{"na');
  const again = gradscope('run', configFile, '--threads', '1', '--quiet', '--out', out);
  assert.equal(again.status, 0, again.stderr);
  assert.ok(fs.existsSync(path.join(out, 'config.json')));
  assert.ok(!fs.existsSync(left), "the dead writer's temporary config.json is removed");
});
