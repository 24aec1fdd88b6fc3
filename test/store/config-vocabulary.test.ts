/**
 * A run on token data by characters keeps its vocabulary in config.json, so the ids of its
 * windows read back as text (issue 30); image runs have none.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import { test } from 'node:test';
import { configFile } from '../../src/store/run-paths';
import { readStudyConfigFile, writeConfigFile } from '../../src/store/config-file';
import { tempDir } from '../fixtures/data-fixtures';

test("config.json keeps a character vocabulary in id order; an image run's has none", () => {
  const text = tempDir('gradscope-vocabulary-');
  writeConfigFile(text, { study: { seeds: [1] } }, 'found the text t.txt', [
    '\n',
    ' ',
    'a',
    '\u00e9',
  ]);
  const stored = readStudyConfigFile<{ seeds: number[] }>(text);
  assert.deepEqual(stored.vocabulary, ['\n', ' ', 'a', '\u00e9']);
  assert.equal(stored.data, 'found the text t.txt');
  assert.deepEqual(stored.study, { seeds: [1] });
  const ids = [2, 1, 3, 0];
  assert.equal(ids.map((id) => stored.vocabulary![id]).join(''), 'a \u00e9\n');
  const images = tempDir('gradscope-vocabulary-');
  writeConfigFile(images, { study: {} }, 'found MNIST');
  assert.ok(!('vocabulary' in JSON.parse(fs.readFileSync(configFile(images), 'utf8'))));
});
