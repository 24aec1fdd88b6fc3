/**
 * The sharpness of a study's arms: sharpness/seed-<s>-<phase>.json, one
 * {@link StudySharpness} each, written by the runner (src/experiments/piece-work.ts) and
 * read back, checked, by {@link readStudySharpness} alone.
 */
import * as fs from 'fs';
import type { SharpnessResult } from '../analysis/sharpness';
import { GradscopeFileError } from '../core/errors';
import { jsonFiles, writeJsonRecord } from './json-files';
import { sharpnessDir, sharpnessFile } from './study-paths';

/**
 * One stored sharpness measurement: the result, with the seed and phase it belongs to.
 *
 * @example
 * ```ts
 * import { readStudySharpness, type StudySharpness } from 'gradscope';
 * const largest: StudySharpness | undefined = readStudySharpness('runs/thesis-f1').find(
 *   (s) => s.phase === 'arm-5000',
 * );
 * console.log(largest?.seed, largest?.hessian.eigenvalues[0]?.value);
 * ```
 */
export type StudySharpness = SharpnessResult & { seed: number; phase: string };

/** Writes the sharpness of an arm's final state. */
export function writeStudySharpness(studyDir: string, record: StudySharpness): void {
  writeJsonRecord(sharpnessFile(studyDir, record.seed, record.phase), record);
}

/**
 * Every sharpness file of a run directory, by file name; none when there is no sharpness/.
 *
 * @example
 * ```ts
 * import { readStudySharpness } from 'gradscope';
 * for (const s of readStudySharpness('runs/thesis-f1'))
 *   console.log(`seed ${s.seed} ${s.phase}: Keskar ${s.keskar[0]?.sharpness}`);
 * ```
 */
export function readStudySharpness(runDir: string): StudySharpness[] {
  return jsonFiles(sharpnessDir(runDir)).map(sharpnessRecord);
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
