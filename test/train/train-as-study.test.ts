/**
 * One source of the study's defaults (issue 26, item 1): configs/thesis.yaml. `gradscope train`
 * starts from it (or from --config), its flags overriding the study's values, so that `train
 * --analysis` measures what `run` of the thesis config measures: the same draws, the same
 * Experiment B numbers at the same checkpoints.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { GLOBAL, optionValues, type GivenValue } from '../../src/cli/command';
import { analysisScheduleFrom, trainCommand, trainConfigFrom } from '../../src/cli/train';

/** train's values for these command-line values, parsed as the command line parses them. */
const given = (raw: Record<string, GivenValue>) => ({
  ...optionValues(GLOBAL, raw),
  ...optionValues(trainCommand.options, raw),
});
import { CONFIG_DIR, readStudyConfig, thesisConfig } from '../../src/experiments/config';
import { writeNetworkFile } from '../fixtures/cli-fixtures';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { mnistNetwork } from '../fixtures/networks';
import { gradscope, withoutTimes } from '../fixtures/study-compare';

test("train's defaults are the thesis config's: process 1, its optimiser, Experiment B", () => {
  const thesis = thesisConfig('F1');
  assert.deepEqual(analysisScheduleFrom(given({ analysis: true })), thesis.analysis);
  assert.equal(thesis.analysis.draws, 'nested', 'configs/thesis.yaml draws nested batches');
  const train = trainConfigFrom(given({}));
  assert.equal(train.network, thesis.network);
  assert.equal(train.data, thesis.data);
  assert.equal(train.batchSize, thesis.process1.batchSize);
  assert.equal(train.epochs, thesis.process1.epochs);
  assert.deepEqual(train.optimizer, thesis.optimizer);
  assert.equal(train.seed, thesis.seeds[0]);
  assert.equal(train.piggyback, undefined, 'the arms only with --piggyback');
  const arms = trainConfigFrom(given({ piggyback: '256,5000' })).piggyback;
  assert.deepEqual(arms, { arms: [256, 5000], epochs: thesis.process2.epochs });
  // a flag overrides the one value it names
  const flagged = analysisScheduleFrom(given({ 'analysis-samples': '7' }));
  assert.deepEqual(flagged, { ...thesis.analysis, samples: 7 });
  assert.deepEqual(trainConfigFrom(given({ lr: '0.01' })).optimizer, {
    ...thesis.optimizer,
    lr: 0.01,
  });
});

test('--config: another study config gives the defaults', () => {
  const file = path.join(CONFIG_DIR, 'demo.yaml');
  const demo = readStudyConfig(file);
  assert.equal(trainConfigFrom(given({ config: file })).epochs, demo.process1.epochs);
  assert.deepEqual(analysisScheduleFrom(given({ config: file, analysis: true })), demo.analysis);
  assert.equal(
    trainConfigFrom(given({ config: file, piggyback: '256' })).piggyback?.epochs,
    demo.process2.epochs,
  );
});

test('train --analysis and run of the thesis config give the same Experiment B points', async () => {
  const dir = tempDir('gradscope-train-as-study-');
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  writeIdxFolder(data, false, [300, 60]);
  const network = writeNetworkFile(dir, mnistNetwork('small', { out: 16, batchNorm: true }));
  // the thesis config at a tiny scale: its Experiment B settings (draws, bn, ghost batch) kept
  const thesis = parseYaml(fs.readFileSync(path.join(CONFIG_DIR, 'thesis.yaml'), 'utf8')) as {
    analysis: object;
    lines: object;
  };
  const config = path.join(dir, 'tiny-thesis.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      ...thesis,
      network,
      data,
      seeds: [0],
      process1: { batchSize: 10, epochs: 2 },
      process2: { arms: [10, 50], epochs: 1 },
      analysis: {
        ...thesis.analysis,
        every: 1,
        batchSizes: [10, 50],
        armBatchSizes: [10, 50],
        samples: 3,
      },
      lines: { ...thesis.lines, sampleSize: 100 },
      sharpness: undefined,
      trajectory: undefined,
    }),
  );
  const study = path.join(dir, 'study');
  const run = await gradscope([
    ...['run', config, '--out', study, '--threads', '1', '--quiet'],
    ...['--only', 'seed-0.process1,seed-0.arm-10,seed-0.arm-50'],
  ]);
  assert.equal(run.code, 0, run.stderr);
  const trained = path.join(dir, 'train');
  const train = await gradscope([
    ...['train', '--network', network, '--data', data, '--batch-size', '10', '--epochs', '2'],
    ...['--piggyback', '10,50', '--arm-epochs', '1', '--analysis', '--analysis-every', '1'],
    ...['--analysis-batch-sizes', '10,50', '--arm-analysis-batch-sizes', '10,50'],
    ...['--analysis-samples', '3', '--threads', '1', '--quiet', '--out', trained],
  ]);
  assert.equal(train.code, 0, train.stderr);

  const points = (runDir: string) => {
    const folder = path.join(runDir, 'analysis');
    return Object.fromEntries(
      fs
        .readdirSync(folder)
        .sort()
        .map((f) => [f, JSON.parse(fs.readFileSync(path.join(folder, f), 'utf8'))]),
    );
  };
  const fromRun = points(path.join(study, 'seeds', '0'));
  const fromTrain = points(trained);
  assert.deepEqual(Object.keys(fromTrain), [
    'arm-10-epoch-3.json',
    'arm-50-epoch-3.json',
    'process1-epoch-1.json',
    'process1-epoch-2.json',
  ]);
  for (const point of Object.values(fromTrain)) assert.equal(point.draws, 'nested');
  assert.deepEqual(withoutTimes(fromTrain), withoutTimes(fromRun));
});
