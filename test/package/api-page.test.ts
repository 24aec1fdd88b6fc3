/**
 * docs/api/ is generated from the library's JSDoc (src/index.ts and the declarations it
 * exports) by TypeDoc with typedoc-plugin-markdown (typedoc.json; `npm run docs:api`). Here it
 * is generated again into a temporary folder and compared file by file, so the committed page
 * cannot drift from the code.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..', '..');
const COMMITTED = path.join(ROOT, 'docs', 'api');

/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

test('docs/api/ is what `npm run docs:api` generates from the code today', () => {
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-api-'));
  try {
    const typedoc = path.join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const run = childProcess.spawnSync(process.execPath, [typedoc, '--out', fresh], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, `typedoc failed:\n${run.stdout}${run.stderr}`);
    const stale = 'docs/api/ is stale: run npm run docs:api and commit it';
    assert.deepEqual(filesUnder(COMMITTED), filesUnder(fresh), stale);
    for (const file of filesUnder(fresh))
      assert.equal(
        fs.readFileSync(path.join(COMMITTED, file), 'utf8'),
        fs.readFileSync(path.join(fresh, file), 'utf8'),
        `${stale} (${file} differs)`,
      );
  } finally {
    fs.rmSync(fresh, { recursive: true, force: true });
  }
});
