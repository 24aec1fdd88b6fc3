/** Study configs: the shipped ones load; every wrong field gets one message naming it. */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { CONFIG_DIR, readStudyConfig, thesisConfig } from '../../src/experiments/config';
import { GradscopeFileError } from '../../src/core/errors';
import { tempDir } from '../fixtures/data-fixtures';

const dir = tempDir('gradscope-config-');

function fromYaml(text: string): () => unknown {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, text);
  return () => readStudyConfig(file);
}

const base = `
network: F1
data: mnist
process1: { batchSize: 256, epochs: 3 }
process2: { arms: [256, 1000], epochs: 2 }
`;

test('the shipped configs load, with the thesis settings of docs/mathematics.md', () => {
  const thesis = thesisConfig('F1');
  assert.deepEqual(thesis.process2.arms, [256, 1000, 2000, 5000]);
  assert.equal(thesis.process1.batchSize, 256);
  assert.equal(thesis.analysis.samples, 100);
  assert.deepEqual(thesis.analysis.batchSizes, [256, 5000]);
  assert.equal(thesis.analysis.every, 10);
  assert.equal(thesis.analysis.armEvery, 1);
  assert.deepEqual(thesis.lines.pairs, [
    ['arm-256', 'arm-1000'],
    ['arm-256', 'arm-2000'],
    ['arm-256', 'arm-5000'],
  ]);
  assert.equal(thesis.lines.alpha, '-2:3:51');
  assert.equal(readStudyConfig(path.join(CONFIG_DIR, 'demo.yaml')).scale, 'demo');
  assert.throws(() => thesisConfig('C1'), /C1 trains on CIFAR-10; give the folder/);
  assert.throws(() => thesisConfig('F9'), /F1, C1 or C3/);
});

test('defaults fill what a config leaves out', () => {
  const c = fromYaml(base)() as ReturnType<typeof readStudyConfig>;
  assert.deepEqual(c.seeds, [0]);
  assert.equal(c.optimizer.kind, 'adam');
  assert.deepEqual(c.lines.pairs, [['arm-256', 'arm-1000']]);
  assert.equal(c.trajectory, undefined);
  const t = fromYaml(
    `${base}trajectory: { points: 7 }\nsharpness: { eps: [0.001], subspace: 0, iterations: 1, topK: 1, hutchinson: 2, eigen: power }\n`,
  )() as ReturnType<typeof readStudyConfig>;
  assert.deepEqual(t.trajectory, {
    points: 7,
    every: 1,
    set: 'train',
    bn: 'recalibrate',
    sampleSize: 2000,
  });
  assert.equal(t.sharpness?.eigen, 'power');
});

test('each wrong field gets one message naming it and the file', () => {
  const wrong = (text: string, pattern: RegExp) =>
    assert.throws(
      fromYaml(text),
      (e: unknown) =>
        e instanceof GradscopeFileError && pattern.test(e.message) && !e.message.includes('\n'),
    );
  wrong(`${base}epochs: 3\n`, /epochs: unknown field/);
  wrong(base.replace('batchSize: 256', 'batchSize: -1'), /for process1\.batchSize but received -1/);
  wrong(base.replace('epochs: 3', 'epochs: three'), /for process1\.epochs but received "three"/);
  wrong(base.replace('[256, 1000]', '[]'), /for process2\.arms/);
  wrong(`${base}optimizer: { kind: lion, lr: 1 }\n`, /adam or sgd for optimizer\.kind/);
  wrong(`${base}seeds: [-1]\n`, /for seeds/);
  wrong(
    `${base}lines: { pairs: [[arm-256, arm-77]] }\n`,
    /pairs of arms among arm-256, arm-1000 for lines\.pairs/,
  );
  wrong(`${base}lines: { alpha: "3:1:5" }\n`, /for lines\.alpha/);
  wrong(
    `${base}analysis: { every: 0, batchSizes: [256], armEvery: 1, armBatchSizes: [256], samples: 5, mode: population }\n`,
    /for analysis\.every/,
  );
  wrong(
    `${base}analysis: { every: 1, batchSizes: [256], armEvery: 1, armBatchSizes: [256], samples: 5, mode: train }\n`,
    /for analysis\.mode/,
  );
  wrong(
    `${base}sharpness: { eps: [0], subspace: 0, iterations: 1, topK: 1, hutchinson: 2 }\n`,
    /for sharpness\.eps/,
  );
  wrong(
    `${base}sharpness: { eps: [0.001], subspace: 0, iterations: 1, topK: 1, hutchinson: 2, density: { probes: 1, steps: 1 } }\n`,
    /Expected an integer from 2 to \d+ for sharpness\.density\.steps but received 1/,
  );
  wrong(
    `${base}analysis: { every: 1, batchSizes: [256], armEvery: 1, armBatchSizes: [256], samples: 5, mode: population, draws: some }\n`,
    /Expected "independent" or "nested" for analysis\.draws but received "some"/,
  );
  wrong(
    `${base}sharpness: { eps: [0.001], subspace: 0, iterations: 1, topK: 1, hutchinson: 2, eigen: arnoldi }\n`,
    /Expected "lanczos" or "power" for sharpness\.eigen but received "arnoldi"/,
  );
  wrong(`${base}trajectory: { grid: "-1:1:11" }\n`, /trajectory\.grid: unknown field/);
  wrong(`${base}trajectory: { points: 1 }\n`, /at least 2 for trajectory\.points but received 1/);
  wrong(`${base}trajectory: { every: 0 }\n`, /for trajectory\.every but received 0/);
  wrong(`${base}trajectory: { set: valid }\n`, /train or test for trajectory\.set/);
  wrong(`${base}trajectory: { bn: keep }\n`, /recalibrate or batch for trajectory\.bn/);
  wrong(`${base}trajectory: { sampleSize: 0 }\n`, /for trajectory\.sampleSize but received 0/);
  wrong(`${base}trajectory: { evalSize: 2.5 }\n`, /for trajectory\.evalSize but received 2\.5/);
  wrong(`${base}trajectory: 11\n`, /a mapping for trajectory/);
  wrong('network: [unclosed', /not valid YAML/);
  assert.throws(
    () => readStudyConfig(path.join(dir, 'none.yaml')),
    /none\.yaml: no such config file/,
  );
});
