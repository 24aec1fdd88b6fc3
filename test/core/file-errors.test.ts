/**
 * File-system failures are one line naming the path and the cause, exit 2 (issue 19,
 * item 8): an output under a read-only or missing mount, `--out` under a file, a full
 * disk on a metrics append, and an analysis `--out` that cannot be written, found
 * before the analysis runs.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { GradscopeFileError } from '../../src/core/errors';
import { appendMetrics } from '../../src/store/metrics';
import { gradscope, idxDataAndNetwork, trainOneEpoch } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';

const dir = tempDir('gradscope-fs-');
const { data, net } = idxDataAndNetwork(dir, [40, 10], 'fs-net');
const aFile = path.join(dir, 'a-file');
fs.writeFileSync(aFile, 'x');

function oneLine(args: string[], pattern: RegExp): void {
  const r = gradscope(...args);
  assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
}

test('an unwritable run directory is one line naming the path, exit 2', () => {
  const train = ['train', '--network', net, '--data', data, '--epochs', '1', '--quiet'];
  oneLine([...train, '--out', '/proc/gradscope-no/run'], /\/proc\/gradscope-no.*: no such/);
  oneLine([...train, '--out', '/sys/gradscope-no'], /\/sys\/gradscope-no: operation not permitted/);
  oneLine([...train, '--out', path.join(aFile, 'run')], /a-file.*not a folder|a-file.*ENOTDIR/);
});

test('a full disk on a metrics append names the file', () => {
  assert.throws(
    () => appendMetrics('/dev/full', { kind: 'note' }),
    (e: unknown) =>
      e instanceof GradscopeFileError &&
      /^\/dev\/full: no space left on the device/.test(e.message),
  );
});

test('analyze --out that cannot be written is refused before the analysis', () => {
  const { checkpoint } = trainOneEpoch(net, data, path.join(dir, 'run'));
  const analyze = ['analyze', 'gradients', '--checkpoint', checkpoint, '--network', net];
  // a million draws would run for minutes: the refusal must come first
  const slow = [...analyze, '--data', data, '--samples', '1000000', '--quiet'];
  oneLine([...slow, '--out', aFile], /--out .*a-file is a file, not a folder/);
  oneLine([...slow, '--out', path.join(aFile, 'sub')], /a-file is a file, not a folder/);
  oneLine([...slow, '--out', '/proc/gradscope-out'], /--out \/proc\/gradscope-out: /);
});
