/**
 * The options this study's fidelity added refuse bad values in one line naming the
 * option, exit 2, and write nothing: --seeds of run, --window and --branch-at of train.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { gradscope } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';

function refused(args: string[], option: string): void {
  const out = path.join(tempDir('gradscope-options-'), 'run');
  const r = gradscope(...args, '--out', out);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.includes(option), lines[0]);
  assert.ok(!fs.existsSync(out), `${out} was written`);
}

test('--seeds: repeated, negative or empty entries are refused', () => {
  for (const seeds of ['0,0', '-1', '0,,1', 'a'])
    refused(['run', 'thesis', '--network', 'F1', '--seeds', seeds], '--seeds');
});

test('--window and --branch-at: bad values are refused', () => {
  const train = ['train', '--network', 'F1', '--epochs', '1', '--patience', '2'];
  refused([...train, '--window', '0'], '--window');
  refused([...train, '--branch-at', 'middle'], '--branch-at');
});
