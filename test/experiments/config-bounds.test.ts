/**
 * Configs are checked whole, before anything is written (issue 19, items 5 and 7):
 * every field by its full path and the file it came from, counts and lists within
 * documented maxima (a 20 MB seeds list must not take Node's heap down), and no run
 * directory left behind by a config that is refused.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { readStudyConfig } from '../../src/experiments/config';
import { GradscopeFileError, GradscopeInputError } from '../../src/core/errors';
import { LIMITS } from '../../src/engine/limits';
import { parseGrid } from '../../src/analysis/loss-line';
import { gradscope, idxDataAndNetwork } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { random } from '../fixtures/helpers';

const dir = tempDir('gradscope-bounds-');
const base = `name: bounds
network: F1
data: mnist
seeds: [0, 1]
optimizer: { kind: adam, lr: 0.001, beta1: 0.9 }
process1: { batchSize: 256, epochs: 3 }
process2: { arms: [256, 1000], epochs: 2 }
analysis: { every: 1, batchSizes: [256], armEvery: 1, armBatchSizes: [256], samples: 10, mode: population }
lines: { alpha: "-1:2:13", bn: recalibrate, sampleSize: 500 }
`;

function write(text: string, name = `c${Math.random().toString(36).slice(2)}.yaml`): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** The config file's message names the file and the field's full path. */
function refused(text: string, field: RegExp): void {
  const file = write(text);
  assert.throws(
    () => readStudyConfig(file),
    (e: unknown) => {
      assert.ok(e instanceof GradscopeFileError, String(e));
      assert.ok(e.message.startsWith(`${file}: `), e.message);
      assert.match(e.message, field);
      assert.equal(e.message.split('\n').length, 1);
      return true;
    },
  );
}

test('optimizer fields are checked in the config, named by their full path', () => {
  refused(base.replace('lr: 0.001', 'lr: .inf'), /optimizer\.lr/);
  refused(base.replace('beta1: 0.9', 'beta1: 5'), /optimizer\.beta1/);
  refused(
    base.replace('kind: adam, lr: 0.001, beta1: 0.9', 'kind: sgd, lr: 0.1, momentum: "high"'),
    /optimizer\.momentum/,
  );
  refused(base.replace('lr: 0.001', 'lr: 0.001, weightDecay: -1'), /optimizer\.weightDecay/);
});

test('a config file over the size limit is refused before it is read', () => {
  const file = write(`${base}# ${'x'.repeat(LIMITS.configBytes)}\n`);
  assert.throws(() => readStudyConfig(file), /bytes; a config is at most/);
});

test('lists and counts beyond their maxima are refused with the field named', () => {
  const seeds = `[${Array.from({ length: LIMITS.seeds + 1 }, (_, i) => i).join(',')}]`;
  refused(base.replace('seeds: [0, 1]', `seeds: ${seeds}`), /at most 1000 entries for seeds/);
  refused(base.replace('"-1:2:13"', '"-1:2:100000000"'), /lines\.alpha/);
  refused(base.replace('samples: 10', 'samples: 1000000000000'), /analysis\.samples/);
  refused(base.replace('epochs: 3', 'epochs: 1000000000'), /process1\.epochs/);
  refused(base.replace('batchSize: 256', 'batchSize: 1e12'), /process1\.batchSize/);
  const arms = `[${Array.from({ length: LIMITS.listLength + 1 }, (_, i) => i + 1).join(',')}]`;
  refused(base.replace('arms: [256, 1000]', `arms: ${arms}`), /process2\.arms/);
  refused(base.replace('sampleSize: 500', 'sampleSize: 1e15'), /lines\.sampleSize/);
  assert.throws(() => parseGrid('-1:2:100000000', '--alpha'), /--alpha/);
});

test('hostile configs: nesting past the stack, alias bombs', () => {
  const deep = 100_000;
  refused(`name: bounds\nnetwork: ${'['.repeat(deep)}${']'.repeat(deep)}\n`, /not valid YAML/);
  const json = path.join(dir, 'deep.json');
  fs.writeFileSync(json, `{"name": ${'['.repeat(deep)}${']'.repeat(deep)}}`);
  assert.throws(() => readStudyConfig(json), /deep\.json: .*name/);
  const bomb = ['a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]'];
  for (const [from, to] of [
    ['a', 'b'],
    ['b', 'c'],
    ['c', 'd'],
    ['d', 'e'],
  ])
    bomb.push(`${to}: &${to} [${Array(10).fill(`*${from}`).join(', ')}]`);
  refused(bomb.join('\n'), /not valid YAML/);
});

test('a refused train option or study config leaves no run directory behind', () => {
  const { data, net } = idxDataAndNetwork(dir, [40, 10], 'bounds-net');
  const cases: [string[], RegExp][] = [
    [['--optimizer', 'sgd', '--momentum', '5'], /--momentum/],
    [['--lr', '1e400'], /--lr/],
    [['--epochs', '1000000000'], /--epochs/],
  ];
  for (const [args, pattern] of cases) {
    const out = path.join(dir, `train-${args.join('')}`);
    const r = gradscope(
      'train',
      '--network',
      net,
      '--data',
      data,
      '--quiet',
      '--out',
      out,
      ...args,
    );
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
    assert.ok(!fs.existsSync(out), `${out} was created`);
  }
  const file = write(base.replace('beta1: 0.9', 'beta1: 5'), 'beta.yaml');
  const out = path.join(dir, 'study');
  const r = gradscope('run', file, '--data', data, '--quiet', '--out', out);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /beta\.yaml: .*optimizer\.beta1/);
  assert.ok(!fs.existsSync(out));
});

/** Seeded mutations of a valid config: each parses, or is one GradscopeInputError line. */
test('fuzz: mutated configs parse or give one clear line', () => {
  const rand = random(19);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const tokens = [
    '-1',
    '0',
    '1e309',
    '.nan',
    '"x"',
    '[]',
    '{}',
    '~',
    'true',
    ':',
    '- ',
    '[1, [2]]',
    '&a 1',
    '*a',
    '99999999999999999999',
    '\t',
    '"',
    '#',
    '\n  ',
  ];
  let parsed = 0;
  let refusedCount = 0;
  const inputs = 600;
  for (let i = 0; i < inputs; i++) {
    let text = base;
    const edits = 1 + Math.floor(rand() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rand() * text.length);
      const kind = rand();
      if (kind < 0.4) {
        const digits = [...text.matchAll(/\d/g)];
        const d = digits[Math.floor(rand() * digits.length)]!.index!;
        text = text.slice(0, d) + pick(['0', '1', '5', '9', '00', '-']) + text.slice(d + 1);
      } else if (kind < 0.6)
        text = text.slice(0, at) + pick(tokens) + text.slice(at + Math.floor(rand() * 6));
      else if (kind < 0.8) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 8));
      else text = text.slice(0, at) + text.slice(at, at + 12) + text.slice(at);
    }
    const file = write(text, `fuzz-${i}.yaml`);
    try {
      readStudyConfig(file);
      parsed++;
    } catch (error) {
      assert.ok(
        error instanceof GradscopeInputError || error instanceof GradscopeFileError,
        `input ${i} threw ${String(error)}:\n${text}`,
      );
      assert.equal(error.message.split('\n').length, 1, `input ${i}: ${error.message}`);
      assert.ok(error.message.startsWith(file), `input ${i}: ${error.message}`);
      refusedCount++;
    }
  }
  assert.equal(parsed + refusedCount, inputs);
  assert.ok(parsed > 0 && refusedCount > 0, `${parsed} parsed, ${refusedCount} refused`);
  process.stderr.write(`# fuzz: ${inputs} configs, ${parsed} parsed, ${refusedCount} refused\n`);
});
