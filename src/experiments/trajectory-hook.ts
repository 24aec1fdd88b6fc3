/**
 * The study's training trajectories (Li et al. 2018, section 7; src/analysis/trajectory.ts):
 * for one seed, process 1 and every arm in one PCA plane, as `gradscope analyze trajectory
 * RUN/seeds/S/checkpoints` draws them, the final state of the largest-B arm at the origin.
 * Each arm's path starts at the branch point (process 1's checkpoint at the branch epoch,
 * which branch.safetensors copies), so every arm leaves from the same place in the plane;
 * a checkpoint on several paths enters the PCA once.
 *
 * Checkpoint files are named relative to the run directory in the result.
 */
import * as fs from 'fs';
import * as path from 'path';
import { solutionOf } from '../analysis/loss-line';
import { DEFAULT_SURFACE } from '../analysis/loss-surface';
import {
  trajectorySurface,
  type TrajectoryInput,
  type TrajectoryResult,
} from '../analysis/trajectory';
import type { StudyData } from '../data/load';
import type { NetworkSpec } from '../engine/layers';
import { Network } from '../engine/network';
import { checkpointInfo } from '../engine/checkpoint-file';
import { loadNetwork } from '../engine/checkpoint';
import { checkpointName, epochFiles, epochOf } from '../store/checkpoint-files';
import { branchFile, phaseCheckpointDir } from '../store/run-paths';
import { seedDir } from '../store/study-paths';
import type { StudyConfig, StudyTrajectory } from './config';

/**
 * Process 1 and each arm of one seed in one plane, or undefined when the seed has no branch
 * or no arm with a checkpoint yet (nothing to draw).
 */
export async function studyTrajectory(
  runDir: string,
  seed: number,
  spec: NetworkSpec,
  data: StudyData,
  study: Pick<StudyConfig, 'process2'>,
  config: StudyTrajectory,
  onPoint?: (done: number, total: number) => void,
): Promise<TrajectoryResult | undefined> {
  const seedRun = seedDir(runDir, seed);
  const branch = branchFile(seedRun);
  if (!fs.existsSync(branch)) return undefined;
  const branchEpoch = checkpointInfo(branch).epoch;
  const process1Dir = phaseCheckpointDir(seedRun, 'process1');
  const branchPoint = checkpointName(process1Dir, branchEpoch);
  const process1 = epochFiles(process1Dir).filter(
    (f, k, all) => epochOf(f) % config.every === 0 || f === branchPoint || k === all.length - 1,
  );
  const arms = [...study.process2.arms]
    .sort((a, b) => a - b)
    .map((b) => ({ label: `arm-${b}`, files: epochFiles(phaseCheckpointDir(seedRun, `arm-${b}`)) }))
    .filter((a) => a.files.length > 0);
  if (arms.length === 0 || !fs.existsSync(branchPoint)) return undefined;

  const network = new Network(spec, { seed });
  const read = (file: string) => {
    loadNetwork(file, network);
    return {
      epoch: checkpointInfo(file).epoch,
      file: path.relative(runDir, file),
      parameters: network.readParameters(),
    };
  };
  const start = read(branchPoint);
  const paths: TrajectoryInput[] = [
    { label: 'process1', checkpoints: process1.map((f) => (f === branchPoint ? start : read(f))) },
    ...arms.map((a) => ({ label: a.label, checkpoints: [start, ...a.files.map(read)] })),
  ];
  const finalFile = arms.at(-1)!.files.at(-1)!;
  loadNetwork(finalFile, network);
  const final = {
    ...solutionOf(network, `${arms.at(-1)!.label}/${path.basename(finalFile, '.safetensors')}`),
    file: path.relative(runDir, finalFile),
  };
  return trajectorySurface(
    network,
    final,
    paths,
    data,
    {
      ...DEFAULT_SURFACE,
      bn: config.bn,
      set: config.set,
      points: config.points,
      sampleSize: Math.min(config.sampleSize, data.train.size),
      ...(config.evalSize === undefined ? {} : { evalSize: config.evalSize }),
      seed,
    },
    onPoint,
  );
}
