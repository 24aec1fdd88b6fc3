/**
 * The run directory has one owner, src/store/ (issue 12, item 1):
 * - one "latest complete checkpoint" rule: a study's final state of a phase (where its line
 *   and sharpness start) is the newest epoch checkpoint whose network and training-state
 *   files both verify, the one a resume continues from; a damaged newest one is skipped and
 *   named, one without its training state passed over;
 * - no file outside src/store/ joins the names of a run directory's files and folders
 *   (issue 26: tables/, figures/, slurm/ with jobs.json, submit.sh and the job scripts, and
 *   gradients.json of `analyze gradients --out` too), however the join is written.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { saveNetwork } from '../../src/engine/checkpoint';
import { Network } from '../../src/engine/network';
import { Optimizer } from '../../src/engine/optimizer';
import { checkpointName, trainingStateFile } from '../../src/store/checkpoint-files';
import { finalCheckpoint, latestVerifiedCheckpoint } from '../../src/store/latest-checkpoint';
import { seedCheckpointDir } from '../../src/store/study-paths';
import { saveTrainingState } from '../../src/train/training-state';
import { tempDir } from '../fixtures/data-fixtures';
import { mnistNetwork } from '../fixtures/networks';

const spec = mnistNetwork('small', { out: 12, batchNorm: true });

/** Epoch checkpoints 1..`epochs` of a phase folder, both halves each. */
function writeCheckpoints(dir: string, epochs: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const network = new Network(spec, { seed: 5 });
  const optimizer = new Optimizer(network, { kind: 'sgd', lr: 0.1 });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const file = checkpointName(dir, epoch);
    saveTrainingState(file, optimizer, { epoch });
    saveNetwork(file, network, { epoch, step: epoch, extra: {} });
  }
}

test('a study phase ends at its latest complete checkpoint, the one a resume would take', () => {
  const study = tempDir('gradscope-store-');
  const dir = seedCheckpointDir(study, 0, 'arm-64');
  assert.equal(finalCheckpoint(study, 0, 'arm-64'), undefined, 'no folder: no final state');
  writeCheckpoints(dir, 3);
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);
  assert.equal(finalCheckpoint(study, 0, 'arm-64', warn), checkpointName(dir, 3));

  // the newest has lost its training state (a kill between the two writes): passed over
  fs.rmSync(trainingStateFile(checkpointName(dir, 3)));
  assert.equal(finalCheckpoint(study, 0, 'arm-64', warn), checkpointName(dir, 2));
  assert.equal(warnings.length, 0, warnings.join('\n'));

  // the next is damaged: skipped, and named with what is wrong
  const damaged = checkpointName(dir, 2);
  const bytes = fs.readFileSync(damaged);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x40;
  fs.writeFileSync(damaged, bytes);
  assert.equal(finalCheckpoint(study, 0, 'arm-64', warn), checkpointName(dir, 1));
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0]!.includes(damaged), warnings[0]);
  assert.match(warnings[0]!, /does not verify/);
  assert.equal(
    latestVerifiedCheckpoint(dir, () => {}),
    checkpointName(dir, 1),
    'the same rule',
  );
});

/** The arguments of every `path.join(...)` and `path.resolve(...)` of a source text. */
function joinArguments(text: string): string[] {
  const found: string[] = [];
  for (const call of text.matchAll(/path\.(?:join|resolve)\(/g)) {
    const start = call.index! + call[0].length;
    let depth = 1;
    let end = start;
    while (end < text.length && depth > 0) {
      if (text[end] === '(') depth++;
      if (text[end] === ')') depth--;
      end++;
    }
    found.push(text.slice(start, end - 1));
  }
  return found;
}

/** A name of a run directory's files and folders (run-paths.ts, study-paths.ts,
 * analysis-output.ts), quoted, or a Slurm job script's suffix. */
const RUN_DIRECTORY_NAME = new RegExp(
  "['`](" +
    [
      ...['seeds', 'checkpoints', 'analysis', 'lines', 'sharpness', 'trajectories', 'locks'],
      ...['logs', 'tensorboard', 'tables', 'figures', 'slurm'],
      ...['metrics.jsonl', 'config.json', 'report.json', 'report.html', 'branch.safetensors'],
      ...['jobs.json', 'submit.sh', 'gradients.json', 'source.json'],
    ]
      .map((n) => n.replace('.', '\\.'))
      .join('|') +
    ")['`/]|\\.sbatch['`]",
);

test('the check below finds a join of a run directory name, however the join is written', () => {
  const joins = (text: string) => joinArguments(text).some((args) => RUN_DIRECTORY_NAME.test(args));
  assert.ok(joins("path.join(slurmDir(out), 'submit.sh')"));
  assert.ok(joins('path.join(out, `${piece}.sbatch`)'));
  assert.ok(joins("path.join(m.runDir, 'tables')"));
  assert.ok(joins("path.resolve(dir, 'gradients.json')"));
  assert.ok(joins("path.join(f(g(dir)), 'figures/a.svg')"));
  assert.ok(!joins("path.join(dir, 'line.json'); const a = 'tables';"));
});

test('no file outside src/store/ joins the names of a run directory', () => {
  const src = path.join(__dirname, '..', '..', '..', 'src');
  // the PyTorch benchmark's own config.json, in a temporary folder of its own
  const elsewhere = new Set([path.join('bench', 'pytorch.ts')]);
  const offenders: string[] = [];
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      const name = path.relative(src, file);
      if (entry.isDirectory()) {
        if (name !== 'store') visit(file);
      } else if (name.endsWith('.ts') && !elsewhere.has(name)) {
        const text = fs.readFileSync(file, 'utf8').replace(/\s+/g, ' ');
        if (joinArguments(text).some((args) => RUN_DIRECTORY_NAME.test(args))) offenders.push(name);
      }
    }
  };
  visit(src);
  assert.deepEqual(offenders, []);
});
