/**
 * A library caller's study measures sharpness: `runStudy` with a config whose `sharpness`
 * section is set writes sharpness/seed-<s>-<arm>.json for every arm, with nothing but the
 * config and the usual options (no hook), and `readStudySharpness` reads them back typed.
 * The numbers are checked against Keskar's definition, not against the code's own output.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { makeProgress, readStudyConfig, readStudySharpness, runStudy } from '../../src/index';
import { smallStudy } from '../fixtures/study-fixture';

test('runStudy from the library writes the sharpness files the config asks for, with no hook', async () => {
  const { dir, configFile } = smallStudy();
  const small = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  // one seed and no trajectories, for speed; the sharpness section as the fixture has it
  const oneSeed = path.join(dir, 'one-seed.json');
  fs.writeFileSync(oneSeed, JSON.stringify({ ...small, seeds: [0], trajectory: undefined }));
  const study = readStudyConfig(oneSeed);
  assert.ok(study.sharpness, 'the fixture configures sharpness');
  const out = path.join(dir, 'run');
  await runStudy(study, out, { resume: false, progress: makeProgress({ quiet: true }) });

  assert.deepEqual(fs.readdirSync(path.join(out, 'sharpness')).sort(), [
    'seed-0-arm-10.json',
    'seed-0-arm-50.json',
  ]);
  const records = readStudySharpness(out);
  assert.deepEqual(
    records.map((r) => [r.seed, r.phase]),
    [
      [0, 'arm-10'],
      [0, 'arm-50'],
    ],
  );
  for (const r of records) {
    assert.equal(r.kind, 'sharpness');
    assert.equal(r.hessian.eigen, 'power', 'sharpness.eigen reaches the measurement');
    assert.equal(r.hessian.eigenvalues.length, 1, 'topK: 1');
    assert.ok(r.hessian.density, 'density asked for');
    assert.ok(r.hessian.layers?.length, 'layers asked for');
    // eps 0.001 in the full space and in a subspace of p = 3
    assert.deepEqual(
      r.keskar.map((k) => [k.eps, k.space]),
      [
        [0.001, 'full'],
        [0.001, 'subspace'],
      ],
    );
    assert.equal(r.keskar[1]!.dimension, 3);
    for (const k of r.keskar) {
      // the box holds z = 0, so the maximum found is at least f(w); Keskar's metric 2.1
      assert.ok(k.maxLoss >= k.loss, `max f(w + z) ${k.maxLoss} >= f(w) ${k.loss}`);
      const keskar = (100 * (k.maxLoss - k.loss)) / (1 + k.loss);
      assert.ok(Math.abs(k.sharpness - keskar) <= 1e-9 * Math.max(1, Math.abs(keskar)));
    }
  }
});
