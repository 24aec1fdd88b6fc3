/**
 * The sharpness the study records for the final state of every arm (docs/mathematics.md,
 * "Sharpness"): Keskar's metric for each eps, in the full space and a random
 * subspace, the top Hessian eigenvalues (Lanczos, or power iteration when `eigen: power`) and Hutchinson's trace, on the training
 * set; the Hessian's spectral density when the config's `density` asks for it.
 *
 * Stored as sharpness/seed-<s>-<phase>.json, one {@link StudySharpness} each, written by the
 * runner (piece-work.ts) and read back by {@link readStudySharpness} alone.
 */
import * as fs from 'fs';
import * as path from 'path';
import { measureSharpness, type SharpnessResult } from '../analysis/sharpness';
import type { StudyData } from '../data/load';
import { GradscopeFileError } from '../core/errors';
import type { Network } from '../engine/network';
import type { StudyConfig } from './config';

/** One stored sharpness measurement: the result, with the seed and phase it belongs to. */
export type StudySharpness = SharpnessResult & { seed: number; phase: string };

/** The sharpness of a final state, with the study config's `sharpness` settings. */
export function measureSharpnessForStudy(
  network: Network,
  data: StudyData,
  config: NonNullable<StudyConfig['sharpness']>,
  seed: number,
): SharpnessResult {
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
  });
}

/** Every sharpness file of a run directory, by file name; none when there is no sharpness/. */
export function readStudySharpness(runDir: string): StudySharpness[] {
  const dir = path.join(runDir, 'sharpness');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => sharpnessRecord(path.join(dir, n)));
}

function sharpnessRecord(file: string): StudySharpness {
  let record: unknown;
  try {
    record = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new GradscopeFileError(file, 'not a sharpness record (not JSON)');
  }
  const r = record as Partial<StudySharpness> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    r.kind !== 'sharpness' ||
    typeof r.seed !== 'number' ||
    typeof r.phase !== 'string' ||
    !Array.isArray(r.keskar) ||
    typeof r.hessian !== 'object' ||
    r.hessian === null
  )
    throw new GradscopeFileError(
      file,
      'not a sharpness record (needs kind "sharpness", seed, phase, keskar and hessian)',
    );
  return r as StudySharpness;
}
