/**
 * The study as pieces (issue 16): --plan lists them with their dependencies; --only runs
 * pieces alone and refuses one whose dependencies are not done, writing nothing; a piece's
 * lock keeps a second process out and a dead holder's lock is taken over; --jobs 2 ends
 * with the same checkpoints (bit for bit), metrics, analysis points, lines, sharpness and
 * report data as --jobs 1 and as a sequential run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { acquireLock } from '../../src/core/lock';
import { assertSameStudy, gradscope } from '../fixtures/study-compare';
import { smallStudy } from '../fixtures/study-fixture';

const { dir, configFile } = smallStudy();

test('--plan lists every piece after the pieces it depends on', async () => {
  const { code, stdout } = await gradscope(['run', configFile, '--plan']);
  assert.equal(code, 0);
  const plan = new Map(
    stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [name, after] = line.split(' after ');
        return [name!, after ? after.split(', ') : []] as const;
      }),
  );
  assert.deepEqual(plan.get('seed-0.process1'), []);
  assert.deepEqual(plan.get('seed-1.arm-50'), ['seed-1.process1']);
  assert.deepEqual(plan.get('seed-0.line-arm-10-arm-50'), ['seed-0.arm-10', 'seed-0.arm-50']);
  assert.deepEqual(plan.get('seed-1.sharpness-arm-10'), ['seed-1.arm-10']);
  assert.equal(plan.get('report')!.length, plan.size - 1);
  // every dependency comes earlier in the list
  const order = [...plan.keys()];
  for (const [name, after] of plan)
    for (const a of after) assert.ok(order.indexOf(a) < order.indexOf(name), `${a} before ${name}`);
});

test('--only refuses a piece whose dependencies are not done, writing nothing', async () => {
  const out = path.join(dir, 'refused');
  const { code, stderr } = await gradscope([
    ...['run', configFile, '--out', out, '--only', 'seed-0.arm-10', '--threads', '1'],
  ]);
  assert.equal(code, 2);
  assert.equal(
    stderr.trim(),
    'gradscope: piece seed-0.arm-10 cannot start: seed-0.process1 is not done (run it first: --only seed-0.process1)',
  );
  assert.equal(fs.existsSync(out), false);
  const unknown = await gradscope(['run', configFile, '--out', out, '--only', 'seed-9.arm-10']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^gradscope: --only: no piece "seed-9.arm-10" in this study/);
});

test("a piece is written by one process at a time; a dead holder's lock is taken over", async () => {
  const out = path.join(dir, 'locked');
  const args = ['run', configFile, '--out', out, '--only', 'seed-0.process1', '--threads', '1'];
  // a live holder (this test process) keeps a second writer out, in one line
  fs.mkdirSync(path.join(out, 'locks'), { recursive: true });
  const release = acquireLock(path.join(out, 'locks', 'seed-0.process1.lock'), 'the piece');
  const refused = await gradscope(args);
  release();
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    new RegExp(`^gradscope: the piece seed-0\\.process1 is in use by process ${process.pid} on `),
  );
  assert.equal(fs.existsSync(path.join(out, 'seeds')), false, 'nothing written by the refused one');
  const first = await gradscope(args);
  assert.equal(first.code, 0, first.stderr);
  // a lock left by a killed process (its pid no longer alive) does not block the piece
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const lock = path.join(out, 'locks', 'seed-0.arm-10.lock');
  fs.writeFileSync(
    lock,
    JSON.stringify({ pid: Number(dead.stdout), hostname: require('os').hostname(), started: 'x' }),
  );
  const taken = await gradscope([
    ...['run', configFile, '--out', out, '--only', 'seed-0.arm-10', '--threads', '1'],
  ]);
  assert.equal(taken.code, 0, taken.stderr);
  assert.equal(fs.existsSync(lock), false);
  // the same piece again: already done, nothing rewritten
  const again = await gradscope([
    ...['run', configFile, '--out', out, '--only', 'seed-0.arm-10', '--threads', '1'],
  ]);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /seed-0\.arm-10: already done/);
});

test('--jobs 2 gives the results of --jobs 1 and of a sequential run, bit for bit', async () => {
  const run = async (name: string, extra: string[]) => {
    const out = path.join(dir, name);
    const started = Date.now();
    const { code, stderr } = await gradscope([
      'run',
      configFile,
      '--quiet',
      '--out',
      out,
      ...extra,
    ]);
    assert.equal(code, 0, stderr);
    return { out, seconds: (Date.now() - started) / 1000 };
  };
  const sequential = await run('sequential', ['--threads', '1']);
  const one = await run('jobs-1', ['--jobs', '1', '--threads', '1']);
  const two = await run('jobs-2', ['--jobs', '2', '--threads', '2']); // 1 thread per child
  process.stderr.write(
    `wall time: sequential ${sequential.seconds} s, --jobs 1 ${one.seconds} s, --jobs 2 ${two.seconds} s\n`,
  );
  assertSameStudy(two.out, one.out);
  assertSameStudy(one.out, sequential.out);
  assert.ok(fs.existsSync(path.join(two.out, 'report.html')));
  assert.ok(fs.existsSync(path.join(two.out, 'logs', 'seed-1.arm-50.log')));
});

test('gradscope status: a failed piece with its last log line and the retry command', async () => {
  const out = path.join(dir, 'failing');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'seeds'), 'in the way'); // process 1 cannot make seeds/0
  const failed = await gradscope([
    ...['run', configFile, '--out', out, '--jobs', '1', '--threads', '1', '--quiet'],
  ]);
  assert.equal(failed.code, 2);
  assert.match(
    failed.stderr,
    /piece seed-0\.process1 failed \(its log: .*\); retry with: gradscope run /,
  );
  const { code, stdout } = await gradscope(['status', out]);
  assert.equal(code, 0);
  const lines = stdout.trim().split('\n');
  assert.match(lines[0]!, /^seed-0\.process1\s+failed$/);
  assert.match(lines[1]!, /^ {2}last log line: gradscope: .*seeds/);
  assert.equal(
    lines[2],
    `  retry: gradscope run ${configFile} --out ${out} --only seed-0.process1 --resume`,
  );
  assert.match(lines[3]!, /^seed-0\.arm-10\s+waiting$/);
  assert.equal(lines.at(-1), '0 done, 0 running, 0 queued, 1 failed, 14 waiting (of 15)');
  const json = JSON.parse((await gradscope(['status', out, '--json'])).stdout) as {
    pieces: { piece: string; state: string }[];
  };
  assert.equal(json.pieces.find((p) => p.piece === 'seed-0.process1')?.state, 'failed');
});
