// Atomic write: a concurrent reader sees only whole old or whole new content, and neither
// success nor failure leaves a temporary file behind.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { writeFileAtomic } from '../../src/core/atomic-write';
import { GradscopeFileError } from '../../src/core/errors';

const made: string[] = [];
after(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  made.push(fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-atomic-')));
  return made[made.length - 1];
}

test('writes the content and leaves only the target in the directory', () => {
  const dir = tempDir();
  const file = path.join(dir, 'config.json');
  writeFileAtomic(file, '{"a":1}\n');
  writeFileAtomic(file, new Uint8Array([1, 2, 3]));
  assert.deepEqual(fs.readFileSync(file), Buffer.from([1, 2, 3]));
  assert.deepEqual(fs.readdirSync(dir), ['config.json']);
});

test('a reader running alongside repeated overwrites sees only whole files', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'ckpt.bin');
  const size = 1 << 20;
  const contents = [Buffer.alloc(size, 0xaa), Buffer.alloc(size, 0x55)];
  writeFileAtomic(file, contents[0]);

  // The worker reads in a loop until told to stop, and counts what it saw.
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const reader = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const fs = require('node:fs');
     const seen = { old: 0, new: 0, partial: 0 };
     while (Atomics.load(workerData.stop, 0) === 0) {
       const bytes = fs.readFileSync(workerData.file);
       const whole = bytes.length === workerData.size && bytes.every((b) => b === bytes[0]);
       if (!whole) seen.partial++;
       else if (bytes[0] === 0xaa) seen.old++;
       else seen.new++;
     }
     parentPort.postMessage(seen);`,
    { eval: true, workerData: { file, size, stop } },
  );
  const seen = new Promise<{ old: number; new: number; partial: number }>((resolve, reject) => {
    reader.once('message', resolve);
    reader.once('error', reject);
  });
  await new Promise((resolve) => reader.once('online', resolve));
  for (let i = 1; i <= 40; i++) writeFileAtomic(file, contents[i % 2]);
  Atomics.store(stop, 0, 1);
  const counts = await seen;
  assert.equal(counts.partial, 0, JSON.stringify(counts));
  assert.ok(counts.old + counts.new > 0, 'the reader read at least once');
  assert.deepEqual(fs.readFileSync(file), contents[0]);
  assert.deepEqual(fs.readdirSync(dir), ['ckpt.bin']);
});

test('a failed write names the file, keeps what was there and leaves no temporary file', () => {
  const dir = tempDir();
  const target = path.join(dir, 'taken');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'inside'), 'kept');
  assert.throws(
    () => writeFileAtomic(target, 'new'),
    (error: unknown) => {
      assert.ok(error instanceof GradscopeFileError);
      assert.ok(error.message.startsWith(`${target}: cannot write: `), error.message);
      return true;
    },
  );
  assert.deepEqual(fs.readdirSync(dir), ['taken']);
  assert.equal(fs.readFileSync(path.join(target, 'inside'), 'utf8'), 'kept');

  const orphan = path.join(dir, 'no', 'such', 'dir', 'file');
  assert.throws(() => writeFileAtomic(orphan, 'x'), {
    message: `${orphan}: cannot write: its directory does not exist`,
  });
});
