/**
 * configs/gpt-demo.yaml (issue 30): it loads, names a GPT of at most about a million
 * parameters on the built-in corpus with both experiments and sharpness, and the same config at
 * a tiny scale runs end to end through `gradscope run`, its report reading per token.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { resolveNetwork } from '../../src/engine/layers';
import { CONFIG_DIR, readStudyConfig } from '../../src/experiments/config';
import { networkSpec } from '../../src/models';
import { tempDir } from '../fixtures/data-fixtures';

const file = path.join(CONFIG_DIR, 'gpt-demo.yaml');
const cli = path.join(__dirname, '..', '..', '..', 'bin', 'gradscope.js');

test('configs/gpt-demo.yaml: a char-level GPT on the KJV, the piggybacked study with both experiments and sharpness', () => {
  const c = readStudyConfig(file);
  assert.equal(c.scale, 'demo');
  assert.equal(c.data, 'kjv');
  const spec = networkSpec(c.network);
  const resolved = resolveNetwork(spec);
  assert.ok(resolved.language, 'a language model');
  assert.ok(resolved.parameterCount <= 1_000_000, `${resolved.parameterCount} parameters`);
  assert.ok(c.subset?.train !== undefined, 'a part of the corpus');
  const arms = c.process2.arms;
  assert.equal(arms[0], c.process1.batchSize, 'the small-batch control continues process 1');
  assert.ok(arms.length >= 3 && arms.every((b, i) => i === 0 || b > arms[i - 1]!));
  assert.deepEqual(c.analysis.armBatchSizes, arms);
  assert.equal(c.analysis.mode, 'population');
  assert.equal(c.lines.pairs.length, arms.length - 1);
  assert.ok(c.sharpness);
});

test('the GPT demo at a tiny scale runs end to end; its report says per token and gives perplexity', () => {
  const dir = tempDir('gradscope-gpt-demo-');
  const demo = parseYaml(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const tiny = {
    ...demo,
    network: 'GPT:vocabulary=63,context=8,layers=1,heads=2,width=16',
    subset: { train: 48, test: 8 },
    process1: { batchSize: 4, epochs: 1 },
    process2: { arms: [4, 16], epochs: 1 },
    analysis: {
      ...(demo.analysis as object),
      every: 1,
      batchSizes: [4, 16],
      armBatchSizes: [4, 16],
      samples: 2,
      ghostBatch: 16,
    },
    lines: { ...(demo.lines as object), alpha: '0:1:3', sampleSize: 16 },
    sharpness: { ...(demo.sharpness as object), sampleSize: 16, hessianSample: 8 },
  };
  const config = path.join(dir, 'tiny-gpt-demo.json');
  fs.writeFileSync(config, JSON.stringify(tiny));
  const out = path.join(dir, 'run');
  const r = spawnSync(
    process.execPath,
    [cli, 'run', config, '--threads', '1', '--quiet', '--out', out],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const stored = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as {
    tokeniser?: string;
    data: string;
  };
  assert.equal(stored.tokeniser, 'chars');
  assert.match(stored.data, /the first 48 training and 8 test windows \(subset\)/);
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /test loss per token/);
  assert.match(html, /test perplexity/);
  assert.match(html, /next-token accuracy/);
  assert.match(html, /DEMO SCALE/);
  for (const f of ['lines', 'sharpness'])
    assert.ok(fs.readdirSync(path.join(out, f)).length > 0, `${f}/ written`);
  assert.ok(fs.readdirSync(path.join(out, 'seeds', '0', 'analysis')).length >= 3);
});
