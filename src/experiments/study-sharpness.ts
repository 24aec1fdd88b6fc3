/**
 * The sharpness the study records for the final state of every arm (docs/mathematics.md,
 * "Sharpness"): Keskar's metric for each eps, in the full space and a random
 * subspace, the top Hessian eigenvalues (Lanczos, or power iteration when `eigen: power`) and Hutchinson's trace, on the training
 * set; the Hessian's spectral density when the config's `density` asks for it.
 *
 * Stored as sharpness/seed-<s>-<phase>.json, one StudySharpness each (src/store/sharpness.ts).
 */
import {
  measureSharpness,
  type SharpnessOptions,
  type SharpnessResult,
} from '../analysis/sharpness';
import type { StudyData } from '../data/load';
import type { Network } from '../engine/network';
import type { StudyConfig } from './config';

/** The sharpness of a final state, with the study config's `sharpness` settings. */
export function measureSharpnessForStudy(
  network: Network,
  data: StudyData,
  config: NonNullable<StudyConfig['sharpness']>,
  seed: number,
  onProgress?: SharpnessOptions['onProgress'],
): Promise<SharpnessResult> {
  return measureSharpness(network, data, {
    eps: config.eps,
    subspace: config.subspace,
    iterations: config.iterations,
    topK: config.topK,
    probes: config.hutchinson,
    seed,
    sampleSize:
      config.sampleSize === undefined ? null : Math.min(config.sampleSize, data.train.size),
    hessianSampleSize: Math.min(config.hessianSample ?? 5000, data.train.size),
    density: config.density ?? null,
    layers: config.layers ?? false,
    eigen: config.eigen ?? 'lanczos',
    ...(onProgress ? { onProgress } : {}),
  });
}
