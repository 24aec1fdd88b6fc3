/**
 * The ImageFolder decoder child (issue 27, item 7): after kill -9 of gradscope it kept
 * decoding, and its `.gradscope-images-native.safetensors.<pid>.raw` (1.7 GB) stayed for
 * ever, its name outside the stale-temporary rule. Now the child exits within a moment of
 * its parent's death, and its temporary is named as every temporary is, so the next decoding
 * of the folder removes it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { TEMPORARY_NAME } from '../../src/core/atomic-write';
import { locateData } from '../../src/data/locate';
import { cli } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pids whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Whether `pid` runs (a zombie waiting for its reaper counts as gone). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('the image decoder dies with gradscope, and its temporary is removed by the next run', async (t) => {
  if (process.platform !== 'linux') return t.skip('reads /proc');
  let sharp: (
    input?: unknown,
    options?: unknown,
  ) => {
    png(o?: unknown): { toFile(f: string): Promise<unknown> };
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sharp = require('sharp');
  } catch {
    return t.skip('the npm package sharp is not installed');
  }
  const root = tempDir('gradscope-decoder-');
  // one noisy 1500 x 1500 PNG (slow to decode), hard-linked under many names: a folder that
  // takes the decoder many seconds, on no more disk than one image
  const side = 1500;
  const noise = Buffer.alloc(side * side * 3);
  let x = 12345;
  for (let i = 0; i < noise.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    noise[i] = x >>> 24;
  }
  const original = path.join(root, 'noise.png');
  await sharp(noise, { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toFile(original);
  const images: string[] = [];
  for (const [split, cls, n] of [
    ['train', 'a', 100],
    ['train', 'b', 100],
    ['test', 'a', 2],
  ] as const) {
    fs.mkdirSync(path.join(root, split, cls), { recursive: true });
    for (let i = 0; i < n; i++) {
      const file = path.join(root, split, cls, `${i}.png`);
      fs.linkSync(original, file);
      images.push(file);
    }
  }
  fs.rmSync(original);

  const run = spawn(
    process.execPath,
    [cli, 'train', '--network', 'F1', '--data', root, '--image-size', '28', '--epochs', '1'],
    { stdio: 'ignore' },
  );
  const temporaries = () =>
    fs.readdirSync(root).filter((n) => n.endsWith('.raw') || n.includes('.tmp-'));
  let decoder: number | undefined;
  try {
    // the decoder has started once its temporary file exists
    for (let waited = 0; waited < 30_000 && temporaries().length === 0; waited += 50)
      await sleep(50);
    assert.equal(temporaries().length, 1, 'the decoder did not start within 30 s');
    [decoder] = childrenOf(run.pid!);
    assert.ok(decoder !== undefined, 'no decoder child found');
    process.kill(run.pid!, 'SIGKILL');
    const killed = Date.now();
    while (running(decoder) && Date.now() - killed < 3000) await sleep(20);
    const lived = Date.now() - killed;
    assert.ok(!running(decoder), `the decoder still runs ${lived} ms after gradscope's death`);
    console.log(`decoder gone ${lived} ms after kill -9 of gradscope`);
  } finally {
    if (decoder !== undefined && running(decoder)) process.kill(decoder, 'SIGKILL');
    if (run.exitCode === null && run.signalCode === null) run.kill('SIGKILL');
  }
  const [left] = temporaries();
  assert.match(left!, TEMPORARY_NAME, `${left} is outside the stale-temporary rule`);

  // the next run, on a smaller folder (faster): the dead decoder's file is gone, no other left
  for (const file of images.slice(3, 200)) fs.rmSync(file);
  const again = locateData(root, { imageSize: 28 });
  assert.equal(again.source.train.count, 3);
  assert.deepEqual(temporaries(), []);
});
