/**
 * One seed's training run of a study: process 1 at B1 for its epochs (or until its
 * convergence rule fires), then the piggybacked arms B2 for theirs, with the study's
 * optimiser, and its live noise-scale interval. The runner trains each seed with it; `gradscope train` starts from it, its
 * flags overriding the study's values (src/cli/train.ts).
 */
import type { TrainConfig } from '../train/config';
import type { StudyConfig } from './config';

export function trainConfigOf(study: StudyConfig, seed: number): TrainConfig {
  return {
    network: study.network,
    data: study.data,
    seed,
    optimizer: study.optimizer,
    batchSize: study.process1.batchSize,
    epochs: study.process1.epochs,
    ...(study.process1.convergence ? { convergence: study.process1.convergence } : {}),
    ...(study.process1.switchAt ? { switchAt: study.process1.switchAt } : {}),
    schedule: { kind: 'constant' },
    piggyback: {
      arms: study.process2.arms,
      epochs: study.process2.epochs,
      ...(study.process2.ramps ? { ramps: study.process2.ramps } : {}),
    },
    standardise: study.standardise,
    ...(study.subset ? { subset: study.subset } : {}),
    ...(study.noiseScaleEvery !== undefined ? { noiseScaleEvery: study.noiseScaleEvery } : {}),
    ...(study.noiseScaleExamples !== undefined
      ? { noiseScaleExamples: study.noiseScaleExamples }
      : {}),
  };
}
