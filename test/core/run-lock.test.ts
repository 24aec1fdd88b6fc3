/**
 * One writer per run directory (issue 19, item 2): a second `train --resume` on a run
 * being written is refused with one line naming the directory and the holder, while
 * the first finishes intact; a lock left by a dead process is taken over, and of
 * several processes taking over the same stale lock exactly one wins.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import fsModule from 'fs'; // the module itself, whose existsSync src/core/lock reads
import * as os from 'os';
import * as path from 'path';
import { mock, test } from 'node:test';
import { acquireLock, lockRunDirectory, readHolder } from '../../src/core/lock';
import { readMetrics, type EpochRecord } from '../../src/store/metrics';
import { cli, gradscope, idxDataAndNetwork } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';

const dir = tempDir('gradscope-lock-');

/** A pid that no process has now: one of a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

test('a lock held by a live process is refused, naming the holder', () => {
  const file = path.join(dir, 'live.lock');
  const holder = { pid: process.ppid, hostname: os.hostname(), started: 'then' };
  fs.writeFileSync(file, JSON.stringify(holder));
  assert.throws(
    () => acquireLock(file, 'the run directory X'),
    new RegExp(`the run directory X is in use by process ${process.ppid} on`),
  );
  assert.deepEqual(readHolder(file), holder);
});

test('a stale lock of a dead process is taken over and released', () => {
  const file = path.join(dir, 'stale.lock');
  fs.writeFileSync(
    file,
    JSON.stringify({ pid: deadPid(), hostname: os.hostname(), started: 'then' }),
  );
  const release = acquireLock(file, 'X');
  const holder = readHolder(file);
  assert.ok(holder && holder !== 'unwritten' && holder.pid === process.pid);
  release();
  assert.ok(!fs.existsSync(file));
  assert.ok(!fs.existsSync(`${file}.takeover`));
});

test('of several processes taking over one stale lock, exactly one wins', async () => {
  const lockModule = path.join(__dirname, '..', '..', 'src', 'core', 'lock.js');
  const file = path.join(dir, 'race.lock');
  fs.writeFileSync(
    file,
    JSON.stringify({ pid: deadPid(), hostname: os.hostname(), started: 'then' }),
  );
  const go = path.join(dir, 'go');
  const script = `
    const fs = require('fs');
    const { acquireLock } = require(${JSON.stringify(lockModule)});
    while (!fs.existsSync(${JSON.stringify(go)})) {}
    try { acquireLock(${JSON.stringify(file)}, 'X'); console.log('won'); setTimeout(() => {}, 500); }
    catch (e) { console.log('refused: ' + e.message); }`;
  const children = Array.from({ length: 6 }, () =>
    spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  const outputs = children.map(
    (child) =>
      new Promise<string>((resolve) => {
        let text = '';
        child.stdout.on('data', (d: Buffer) => (text += d.toString()));
        child.on('exit', () => resolve(text.trim()));
      }),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  fs.writeFileSync(go, '');
  const results = await Promise.all(outputs);
  assert.equal(results.filter((r) => r === 'won').length, 1, results.join('\n'));
  assert.equal(results.filter((r) => r.startsWith('refused: X is in use by process')).length, 5);
});

test('a second writer is refused with one line while the first finishes intact', async () => {
  const { data, net } = idxDataAndNetwork(dir, [3000, 200], 'lock-net');
  const out = path.join(dir, 'run');
  const args = ['train', '--network', net, '--data', data, '--batch-size', '8'];
  const first = spawn(process.execPath, [cli, ...args, '--epochs', '40', '--quiet', '--out', out], {
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => first.on('exit', resolve));
  const metrics = path.join(out, 'metrics.jsonl');
  while (readMetrics(metrics).filter((r) => r.kind === 'epoch').length < 1)
    await new Promise((resolve) => setTimeout(resolve, 10));

  for (const extra of [['--resume'], []]) {
    const second = gradscope(...args, '--epochs', '40', '--quiet', '--out', out, ...extra);
    assert.equal(second.status, 2, second.stderr);
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, second.stderr);
    if (extra.length)
      assert.match(lines[0]!, new RegExp(`${out} is in use by process ${first.pid} on`));
  }
  assert.equal(await exited, 0);
  const epochs = readMetrics(metrics)
    .filter((r): r is EpochRecord => r.kind === 'epoch')
    .map((r) => r.epoch);
  assert.deepEqual(
    epochs,
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  assert.ok(!fs.existsSync(path.join(out, 'run.lock')), 'the lock is released');
  const again = gradscope(...args, '--epochs', '40', '--quiet', '--out', out, '--resume');
  assert.equal(again.status, 0, again.stderr);
});

test('of two fresh starts into one directory at the same moment, one runs and one is refused', async () => {
  const data = path.join(dir, 'data');
  const net = path.join(dir, 'lock-net.json');
  const out = path.join(dir, 'twins');
  const args = [cli, 'train', '--network', net, '--data', data, '--batch-size', '8'];
  const start = () =>
    new Promise<number | null>((resolve) =>
      spawn(process.execPath, [...args, '--epochs', '3', '--quiet', '--out', out], {
        stdio: 'ignore',
      }).on('exit', resolve),
    );
  const codes = await Promise.all([start(), start()]);
  assert.deepEqual([...codes].sort(), [0, 2]);
  const epochs = readMetrics(path.join(out, 'metrics.jsonl'))
    .filter((r): r is EpochRecord => r.kind === 'epoch')
    .map((r) => r.epoch);
  assert.deepEqual(epochs, [1, 2, 3]);
});

test('a starter refused in a directory that was missing when it began leaves the holder its directory', () => {
  // the race of the test above, made certain: the directory did not exist when this
  // process looked, and another process made it and took its lock before this one could
  const out = path.join(dir, 'raced');
  const lock = path.join(out, 'run.lock');
  fs.mkdirSync(out);
  const holder = { pid: process.ppid, hostname: os.hostname(), started: 'just now' };
  fs.writeFileSync(lock, JSON.stringify(holder));
  const existsSync = fs.existsSync;
  const looked = mock.method(fsModule, 'existsSync', (p: fs.PathLike) =>
    path.resolve(String(p)) === out ? false : existsSync(p),
  );
  try {
    assert.throws(() => lockRunDirectory(out), /is in use by process/);
  } finally {
    looked.mock.restore();
  }
  assert.deepEqual(readHolder(lock), holder);
  // the holder leaves: a directory the refused process made and left empty goes with it
  fs.rmSync(lock);
  const fresh = path.join(dir, 'fresh');
  lockRunDirectory(fresh)();
  assert.ok(!fs.existsSync(fresh));
});

test('--out naming a file is refused with one line', () => {
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, '');
  const r = gradscope('train', '--network', 'F1', '--epochs', '1', '--quiet', '--out', file);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /a-file is a file, not a run directory/);
});
