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

/** `gradscope ARGS` refused: exit 2, one line on stderr matching `problem`, `out` not written. */
function refusedLine(args: string[], out: string, problem: RegExp): string {
  const r = gradscope(...args, '--out', out);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  assert.match(r.stderr, problem);
  assert.ok(!fs.existsSync(out), `${out} should not be written`);
  return r.stderr;
}

test('an image network on token data: one line naming --network and the networks that fit, no option that does not exist', () => {
  const stderr = refusedLine(
    ['train', '--network', 'F1', '--data', 'kjv', '--epochs', '1'],
    path.join(dir, 'f1-on-kjv'),
    /--network: token data is cut into windows of a language model's context, and this network states none .*: use --network GPT, GPT:context=N/,
  );
  assert.ok(!stderr.includes('--context'), `"${stderr.trim()}" names --context, not an option`);
});

test('a text shorter than one window of the model: one line naming the file, exit 2', () => {
  const short = path.join(dir, 'short.txt');
  const verse = 'In the beginning God created the heaven and the earth.\n';
  fs.writeFileSync(short, verse);
  const trainTokens = Math.floor(verse.length * 0.9); // nanoGPT's 90/10 split
  refusedLine(
    ['train', '--network', 'GPT:context=64', '--data', `chars:${short}`, '--epochs', '1'],
    path.join(dir, 'short-run'),
    new RegExp(
      `${short}: its training split \\(the first 90%\\) holds ${trainTokens} tokens, fewer than one window of context \\+ 1 = 65`,
    ),
  );
});

test("a GPT's sizes and a subset of the corpus: each bad value one line naming the option or field", () => {
  refusedLine(
    ['train', '--network', 'GPT:heads=3', '--data', 'kjv', '--epochs', '1'],
    path.join(dir, 'heads'),
    /Expected heads that divide the width \(3 heads, width 128\) for --network but received "GPT:heads=3"/,
  );
  refusedLine(
    ['train', '--network', 'GPT', '--data', 'kjv', '--subset', '0,10', '--epochs', '1'],
    path.join(dir, 'subset-zero'),
    /for --subset but received "0,10"/,
  );
  refusedLine(
    ['train', '--network', 'GPT', '--data', 'kjv', '--subset', '100000', '--epochs', '1'],
    path.join(dir, 'subset-large'),
    /Expected at most \d+ \(the windows in the training set of kjv\) for subset\.train but received 100000/,
  );
  // a switch study reads its data whole: --subset is refused, not ignored
  refusedLine(
    [
      'run',
      path.join(__dirname, '..', '..', '..', 'configs', 'switch-demo.yaml'),
      '--subset',
      '10',
    ],
    path.join(dir, 'switch-subset'),
    /^gradscope: --subset: a switch study reads its data whole/,
  );
  const config = path.join(dir, 'subset.yaml');
  fs.writeFileSync(
    config,
    'network: GPT\ndata: kjv\nsubset: { train: -4 }\nprocess1: { batchSize: 8, epochs: 1 }\nprocess2: { arms: [8, 16], epochs: 1 }\n',
  );
  refusedLine(
    ['run', config],
    path.join(dir, 'subset-config'),
    new RegExp(
      `${config}: Expected a positive integer \\(examples\\) for subset\\.train but received -4`,
    ),
  );
});
