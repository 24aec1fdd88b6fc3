/**
 * Token data met as a user meets it, on the command line (issue 30's bad-input targets): a
 * corpus that is not text and a token id at or above the vocabulary size are one line on
 * stderr naming the file, exit 2, and no run directory left behind.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { gradscope } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';

const dir = tempDir('gradscope-token-errors-');

function refused(data: string, file: string, problem: RegExp): void {
  const out = path.join(dir, `run-${path.basename(file)}`);
  const r = gradscope('train', '--data', data, '--epochs', '1', '--out', out);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  assert.ok(r.stderr.includes(file), `"${r.stderr.trim()}" should name ${file}`);
  assert.match(r.stderr, problem);
  assert.ok(!fs.existsSync(out), `${out} should not be written`);
}

test('a corpus that is not text: one line naming it, exit 2, nothing written', () => {
  const binary = path.join(dir, 'corpus.txt');
  fs.writeFileSync(binary, Buffer.from([0x54, 0x68, 0x65, 0x00, 0x01]));
  refused(binary, binary, /is not text: byte 3 is NUL/);
  const latin1 = path.join(dir, 'latin1.txt');
  fs.writeFileSync(latin1, Buffer.from('na\u00efve', 'latin1'));
  refused(`chars:${latin1}`, latin1, /is not UTF-8 text: byte 2 \(0xef\)/);
});

test('a token id at or above the vocabulary size: one line naming the file, exit 2', () => {
  const folder = path.join(dir, 'ids');
  fs.mkdirSync(folder);
  const ids = (values: number[]) => Buffer.from(Uint16Array.from(values).buffer);
  fs.writeFileSync(path.join(folder, 'train.bin'), ids([0, 1, 2, 3, 4, 5, 6, 7, 8]));
  fs.writeFileSync(path.join(folder, 'val.bin'), ids([1, 2, 9, 3]));
  fs.writeFileSync(path.join(folder, 'meta.json'), '{"vocab_size": 9}');
  const val = path.join(folder, 'val.bin');
  refused(folder, val, /token id 9 at position 2 is outside the vocabulary \[0, 9\)/);
});
