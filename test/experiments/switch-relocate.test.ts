/**
 * A switch study's run directory is movable (src/train/recorded-tables.ts): its `table:
 * measured` ramp follows a critical-batch table inside the study's own folder, and each seed
 * run's config.json records that table relative to the run, so the folder moved, or reached
 * through a symlink, resumes as the same study; a config.json of an older gradscope (the
 * absolute path) still resumes in place.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { readConfigFile } from '../../src/store/config-file';
import { gradscope, writeNetworkFile } from '../fixtures/cli-fixtures';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { mnistNetwork } from '../fixtures/networks';

test('a switch study moved to another folder, or reached through a symlink, resumes', () => {
  const dir = tempDir('gradscope-switch-move-');
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  writeIdxFolder(data, false, [120, 40]);
  const network = writeNetworkFile(dir, mnistNetwork('tiny', { out: 8, bias: false }));
  const file = path.join(dir, 'switch.yaml');
  fs.writeFileSync(
    file,
    `
name: movable
scale: demo
network: ${network}
data: ${data}
seeds: [0]
batchSize: 10
sharpness: { eps: [0.001], subspace: 0, iterations: 1, topK: 0, hutchinson: 0, sampleSize: 40 }
variants:
  - name: small
    process1: { epochs: 1 }
    process2:
      arms: [10]
      epochs: 1
      ramps: [{ name: measured, by: critical-batch, table: measured, grid: [10, 20] }]
  - { name: fixed, process1: { epochs: 1 }, process2: { arms: [20], epochs: 1 } }
control: small/arm-10
fixedSwitch: fixed
criticalBatch: { from: fixed, epochs: [1], batchSizes: [10, 20], examples: 20, tolerance: "5%", sampleSize: 40 }
`,
  );
  const first = path.join(dir, 'first');
  const run = gradscope('run', file, '--out', first, '--quiet', '--threads', '1');
  assert.equal(run.status, 0, run.stderr);
  const seedRun = (out: string) => path.join(out, 'variants', 'small', 'seeds', '0');
  const recorded = (out: string) =>
    (
      readConfigFile(seedRun(out)).config as {
        piggyback: { ramps: { table: string }[] };
      }
    ).piggyback.ramps[0]!.table;
  // the ramp's table, recorded relative to the seed's run folder
  assert.equal(
    recorded(first),
    path.join('..', '..', '..', 'fixed', 'seeds', '0', 'critical-batch.json'),
  );
  const metrics = fs.readFileSync(path.join(seedRun(first), 'metrics.jsonl'), 'utf8');
  // moved: the resume finds every phase done, refuses nothing and changes nothing
  const moved = path.join(dir, 'moved');
  fs.renameSync(first, moved);
  const again = gradscope('run', file, '--out', moved, '--resume', '--quiet', '--threads', '1');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(fs.readFileSync(path.join(seedRun(moved), 'metrics.jsonl'), 'utf8'), metrics);
  // through a symlink
  const link = path.join(dir, 'link');
  fs.symlinkSync(moved, link);
  const linked = gradscope('run', file, '--out', link, '--resume', '--quiet', '--threads', '1');
  assert.equal(linked.status, 0, linked.stderr);
  // a config.json of an older gradscope, the table's absolute path: resumes where it was written
  const config = path.join(seedRun(moved), 'config.json');
  const stored = JSON.parse(fs.readFileSync(config, 'utf8')) as {
    config: { piggyback: { ramps: { table: string }[] } };
  };
  stored.config.piggyback.ramps[0]!.table = path.join(
    moved,
    'variants',
    'fixed',
    'seeds',
    '0',
    'critical-batch.json',
  );
  fs.writeFileSync(config, JSON.stringify(stored));
  const old = gradscope('run', file, '--out', moved, '--resume', '--quiet', '--threads', '1');
  assert.equal(old.status, 0, old.stderr);
});
