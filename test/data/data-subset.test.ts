/**
 * A study on part of its data (`subset` in a study config, `--subset` on the command line): the
 * first examples of each set, token windows in corpus order as images in record order; a count
 * above what the set holds is one line naming subset.train or subset.test.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { GradscopeInputError } from '../../src/core/errors';
import { loadData } from '../../src/data/load';
import { locateData } from '../../src/data/locate';
import { isTokenSet, type ExampleSet, type TokenSet } from '../../src/data/source';
import { checkSubset, takeSubset } from '../../src/data/subset';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';

const dir = tempDir('gradscope-subset-');

function text(): string {
  const file = path.join(dir, 'corpus.txt');
  // 200 characters: a training split of 180 (44 windows of 4 + 1), a validation split of 20 (4)
  fs.writeFileSync(
    file,
    'In the beginning God created the heaven and the earth. '.repeat(4).slice(0, 200),
  );
  return file;
}

test('token data: the first windows of each split, as they were cut from the whole', () => {
  const file = text();
  const whole = locateData(file, { context: 4 }).source;
  const part = takeSubset(whole, { train: 10, test: 2 }, file);
  const train = part.train as TokenSet;
  const test = part.test as TokenSet;
  assert.equal(train.count, 10);
  assert.equal(test.count, 2);
  assert.deepEqual([...train.windows], [...(whole.train as TokenSet).windows].slice(0, 10 * 5));
  assert.deepEqual([...test.windows], [...(whole.test as TokenSet).windows].slice(0, 2 * 5));
  // the engine's datasets hold exactly those
  const data = loadData(file, { context: 4, subset: { train: 10 } });
  assert.equal(data.train.size, 10);
  assert.equal(data.test.size, (whole.test as TokenSet).count, 'test left whole');
  assert.match(data.description, /the first 10 training and 4 test windows \(subset\)$/);
});

test('images: the first examples and their labels', () => {
  const folder = path.join(dir, 'idx');
  fs.mkdirSync(folder);
  const written = writeIdxFolder(folder, false, [6, 4]);
  const whole = locateData(folder).source;
  const part = takeSubset(whole, { train: 3 }, folder);
  assert.ok(!isTokenSet(part.train));
  const train = part.train as ExampleSet;
  assert.equal(train.count, 3);
  assert.deepEqual([...train.labels], [...written.train.labels].slice(0, 3));
  assert.deepEqual([...train.pixels], [...written.train.pixels].slice(0, 3 * 28 * 28));
  assert.equal((part.test as ExampleSet).count, 4);
  assert.equal(loadData(folder, { subset: { train: 3, test: 1 } }).test.size, 1);
});

test('a subset larger than the set, or not a count: one line naming the field', () => {
  const file = text();
  const refused = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof GradscopeInputError && pattern.test(e.message));
  refused(
    () => loadData(file, { context: 4, subset: { train: 45 } }),
    /^Expected at most 44 \(the windows in the training set of .*corpus\.txt\) for subset\.train but received 45$/,
  );
  refused(
    () => loadData(file, { context: 4, subset: { test: 5 } }),
    /^Expected at most 4 \(the windows in the test set of .*\) for subset\.test but received 5$/,
  );
  refused(() => checkSubset({ train: 0 }, 'subset'), /for subset\.train but received 0$/);
  refused(() => checkSubset({ train: 2.5 }, 'subset'), /for subset\.train but received 2\.5$/);
  refused(
    () => checkSubset({ validation: 2 }, 'subset'),
    /^Expected only train and test for subset/,
  );
  refused(
    () => checkSubset(100, 'subset'),
    /^Expected a mapping \{ train: N, test: N \} for subset/,
  );
});
