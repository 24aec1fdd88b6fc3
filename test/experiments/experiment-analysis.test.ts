/**
 * Experiment B inside a training run: analysis files at the configured epochs of
 * process 1 and of every arm; the measurements leave training untouched; a run
 * killed between an analysis and its checkpoint redoes both on resume.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { analysisHook, type AnalysisSchedule } from '../../src/experiments/analysis-schedule';
import { readSafetensors } from '../../src/engine/safetensors';
import { setThreads } from '../../src/engine/threads';
import { defaultTrainConfig, type TrainConfig } from '../../src/train/config';
import { readMetrics } from '../../src/store/metrics';
import { makeProgress } from '../../src/train/progress';
import { runTraining } from '../../src/train/run';
import { writeNetworkFile } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { randomStudyData } from '../fixtures/helpers';
import { mnistNetwork } from '../fixtures/networks';

const quiet = makeProgress({ quiet: true });

const networkFile = writeNetworkFile(
  tempDir('gradscope-net-'),
  mnistNetwork('tiny', { out: 16, bias: false, batchNorm: true }),
);

const data = randomStudyData(90, 30, [1, 28, 28], 10, 3);

const schedule: AnalysisSchedule = {
  every: 2,
  batchSizes: [5, 30],
  armEvery: 1,
  armBatchSizes: [5, 10, 30],
  samples: 4,
  mode: 'population',
  ghostBatch: 50,
};

const config: TrainConfig = {
  ...defaultTrainConfig(),
  network: networkFile,
  data: 'in-memory',
  batchSize: 10,
  epochs: 4,
  piggyback: { arms: [10, 30], epochs: 2 },
};

async function run(runDir: string, resume: boolean, withAnalysis: boolean): Promise<void> {
  setThreads({ torch: 1, blas: 1 });
  await runTraining(config, runDir, {
    resume,
    progress: quiet,
    data,
    ...(withAnalysis
      ? { afterEpoch: analysisHook(schedule, 0, quiet), alsoRecord: { analysis: schedule } }
      : {}),
  });
}

const weights = (file: string) => readSafetensors(file).tensors.get('1.weight')!.data;

test('analysis points along process 1 and every arm; training is unchanged by them', async () => {
  const root = tempDir('gradscope-analysis-');
  await run(path.join(root, 'with'), false, true);
  await run(path.join(root, 'without'), false, false);
  const files = fs.readdirSync(path.join(root, 'with', 'analysis')).sort();
  assert.deepEqual(files, [
    'arm-10-epoch-5.json',
    'arm-10-epoch-6.json',
    'arm-30-epoch-5.json',
    'arm-30-epoch-6.json',
    'process1-epoch-2.json',
    'process1-epoch-4.json',
  ]);
  const point = JSON.parse(
    fs.readFileSync(path.join(root, 'with', 'analysis', 'arm-30-epoch-6.json'), 'utf8'),
  );
  assert.deepEqual(
    point.batchSizes.map((b: { batchSize: number }) => b.batchSize),
    [5, 10, 30],
  );
  const lines = readMetrics(path.join(root, 'with', 'metrics.jsonl')).filter(
    (r) => r.kind === 'analysis',
  );
  assert.equal(lines.length, 6);
  for (const phase of ['process1', 'arm-10', 'arm-30']) {
    const dir = (r: string) => path.join(root, r, 'checkpoints', phase);
    const last = fs
      .readdirSync(dir('with'))
      .filter((n) => /^epoch-\d+\.safetensors$/.test(n))
      .sort()
      .pop()!;
    assert.deepEqual(
      weights(path.join(dir('with'), last)),
      weights(path.join(dir('without'), last)),
      phase,
    );
  }
});

test('killed after an analysis but before its checkpoint, a resumed run redoes both', async () => {
  const root = tempDir('gradscope-analysis-kill-');
  const whole = path.join(root, 'whole');
  await run(whole, false, true);
  const killed = path.join(root, 'killed');
  await run(killed, false, true);
  // the state of a run killed inside arm-30's epoch 6 after its analysis was written
  const arm = path.join(killed, 'checkpoints', 'arm-30');
  fs.rmSync(path.join(arm, 'epoch-0006.safetensors'));
  fs.rmSync(path.join(arm, 'epoch-0006.train.safetensors'));
  fs.appendFileSync(path.join(killed, 'metrics.jsonl'), '{"kind":"epoch","phase":"arm-30","ep'); // a cut line
  const metrics = fs.readFileSync(path.join(killed, 'metrics.jsonl'), 'utf8').split('\n');
  fs.writeFileSync(
    path.join(killed, 'metrics.jsonl'),
    metrics.filter((l) => !(l.includes('"phase":"arm-30"') && l.includes('"status"'))).join('\n'),
  );
  await run(killed, true, true);
  const strip = (file: string) => {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete r.seconds;
    delete r.examplesPerSecond;
    return r;
  };
  for (const name of fs.readdirSync(path.join(whole, 'analysis')))
    assert.deepEqual(
      strip(path.join(killed, 'analysis', name)),
      strip(path.join(whole, 'analysis', name)),
      name,
    );
  const phases = (dir: string) =>
    readMetrics(path.join(dir, 'metrics.jsonl')).map((r) => `${r.kind} ${r.phase} ${r.epoch}`);
  assert.deepEqual(phases(killed), phases(whole));
});
