/**
 * A small study the report and runner tests share: a tiny network, MNIST-format
 * files the test writes, two arms, Experiment B at every epoch, one line, sharpness (power
 * iteration), the training trajectories.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeNetworkFile } from './cli-fixtures';
import { tempDir, writeIdxFolder } from './data-fixtures';
import { mnistNetwork } from './networks';

export function smallStudy(): { dir: string; configFile: string } {
  const dir = tempDir('gradscope-study-');
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  writeIdxFolder(data, false, [300, 60]);
  const network = writeNetworkFile(
    dir,
    mnistNetwork('small', { out: 16, bias: false, batchNorm: true, dropout: 0.1 }),
  );
  const configFile = path.join(dir, 'study.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      name: 'small study',
      scale: 'demo',
      network,
      data,
      seeds: [0, 1],
      process1: { batchSize: 10, epochs: 3 },
      process2: { arms: [10, 50], epochs: 2 },
      analysis: {
        every: 3,
        batchSizes: [10, 50],
        armEvery: 1,
        armBatchSizes: [10, 50],
        samples: 5,
        mode: 'population',
        draws: 'nested',
        layers: true,
      },
      lines: { alpha: '-1:2:4', bn: 'recalibrate', sampleSize: 100 },
      sharpness: {
        eps: [0.001],
        subspace: 3,
        iterations: 2,
        topK: 1,
        hutchinson: 2,
        hessianSample: 50,
        density: { probes: 1, steps: 4 },
        layers: true,
        eigen: 'power',
      },
      trajectory: { points: 4, sampleSize: 100, evalSize: 100 },
    }),
  );
  return { dir, configFile };
}
