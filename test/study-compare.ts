/**
 * For the tests of a study run in pieces (--jobs, Slurm): the command line as a child
 * process, and what two study run directories must share to be "the same results".
 */
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const cli = path.join(__dirname, '..', '..', 'bin', 'gradscope.js');

export function gradscope(
  args: string[],
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

/** Fields that time the work (seconds, rates) or name the directory: not results. */
const NOT_RESULTS = /seconds|persecond|^runDir$/i;

/** A JSON value without the fields that time the work or name the directory. */
export function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !NOT_RESULTS.test(k))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, withoutTimes(v)]),
    );
  return value;
}

/** Every result file of two study run directories is the same (checkpoints bit for bit;
 * JSON without timings; metrics.jsonl as a set of records, arms may interleave). */
export function assertSameStudy(got: string, want: string): void {
  const files = (dir: string) =>
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.path, e.name)))
      .filter(
        (f) =>
          !/^(logs|locks|slurm|tensorboard)\//.test(f) &&
          !/\.html$|\.svg$|\.png$|\.md$|\.csv$/.test(f),
      )
      .sort();
  assert.deepEqual(files(got), files(want));
  let checkpoints = 0;
  for (const f of files(want)) {
    const [a, b] = [path.join(got, f), path.join(want, f)];
    if (f.endsWith('.jsonl')) {
      const records = (file: string) =>
        fs
          .readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.stringify(withoutTimes(JSON.parse(l))))
          .sort();
      assert.deepEqual(records(a), records(b), f);
    } else if (f.endsWith('.json')) {
      const read = (file: string) => withoutTimes(JSON.parse(fs.readFileSync(file, 'utf8')));
      assert.deepEqual(read(a), read(b), f);
    } else {
      assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), `${f} differs`);
      if (f.endsWith('.safetensors')) checkpoints++;
    }
  }
  assert.ok(checkpoints > 10, `${checkpoints} checkpoints compared`);
}
