/**
 * The convergence rule inside a piggybacked run: with `branch: best` process 2
 * branches from the epoch whose moving average was best, not from the last one;
 * the branch file holds that epoch's state, the arms continue from its epoch, and
 * a resume after process 1 finished branches from the same place.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { setThreads } from '../../src/engine/threads';
import { defaultTrainConfig } from '../../src/train/config';
import { readMetrics, type EpochRecord, type StatusRecord } from '../../src/store/metrics';
import { makeProgress } from '../../src/train/progress';
import { runTraining } from '../../src/train/run';
import { writeNetworkFile } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { randomStudyData } from '../fixtures/helpers';
import { mnistNetwork } from '../fixtures/networks';

test('branch: best branches from the best moving average; the arms continue from that epoch', async () => {
  setThreads({ torch: 1, blas: 1 });
  const network = writeNetworkFile(tempDir('gradscope-net-'), mnistNetwork('tiny'));
  const data = randomStudyData(120, 40, [1, 28, 28], 10, 3);
  const runDir = path.join(tempDir('gradscope-run-'), 'run');
  // threshold 1: only the first full window counts as an improvement, so the rule fires
  // after `patience` more epochs and the best window is the first one (epoch 2)
  const config = {
    ...defaultTrainConfig(),
    network,
    data: 'in-memory',
    epochs: 10,
    batchSize: 20,
    convergence: { patience: 2, threshold: 1, window: 2, branch: 'best' as const },
    piggyback: { arms: [20, 60], epochs: 2 },
  };
  const quiet = makeProgress({ quiet: true });
  const result = await runTraining(config, runDir, { resume: false, progress: quiet, data });
  const records = readMetrics(path.join(runDir, 'metrics.jsonl'));
  const converged = records.find(
    (r): r is StatusRecord => r.kind === 'status' && r.status === 'converged',
  )!;
  assert.equal(converged.epoch, 4);
  assert.equal(converged.branchEpoch, 2);
  assert.match(converged.message, /2-epoch moving average .* branch at the best average/);
  const branched = records.find(
    (r): r is StatusRecord => r.kind === 'status' && r.status === 'branched',
  )!;
  assert.equal(branched.epoch, 2);
  assert.equal(result.phases[0]!.branchEpoch, 2);
  const checkpoints = path.join(runDir, 'checkpoints');
  assert.deepEqual(
    fs.readFileSync(path.join(checkpoints, 'branch.safetensors')),
    fs.readFileSync(path.join(checkpoints, 'process1', 'epoch-0002.safetensors')),
  );
  for (const arm of ['arm-20', 'arm-60']) {
    const epochs = records
      .filter((r): r is EpochRecord => r.kind === 'epoch' && r.phase === arm)
      .map((r) => r.epoch);
    assert.deepEqual(epochs, [3, 4], arm);
  }
  // a resume finds process 1 done and branches from the same epoch (nothing to redo)
  const again = await runTraining(config, runDir, { resume: true, progress: quiet, data });
  assert.equal(again.phases[0]!.branchEpoch, 2);
  assert.equal(
    readMetrics(path.join(runDir, 'metrics.jsonl')).length,
    records.length,
    'nothing appended on resume',
  );
});
