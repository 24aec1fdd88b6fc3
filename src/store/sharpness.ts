/**
 * The sharpness of a study's arms: sharpness/seed-<s>-<phase>.json, one record each
 * (StudySharpness, src/experiments/records.ts), written by the runner
 * (src/experiments/piece-work.ts) and read back, checked, by {@link readSharpnessRecords}
 * alone. The store files a record by its seed and phase and checks the fields every record
 * has; the record's type is the layers' above.
 */
import * as fs from 'fs';
import { GradscopeFileError } from '../core/errors';
import { jsonFiles, writeJsonRecord } from './json-files';
import { sharpnessDir, sharpnessFile } from './study-paths';

/** What every sharpness record has, checked when it is read. */
export interface SharpnessPlace {
  kind: 'sharpness';
  seed: number;
  phase: string;
}

/** Writes the sharpness of an arm's final state. */
export function writeStudySharpness(studyDir: string, record: SharpnessPlace): void {
  writeJsonRecord(sharpnessFile(studyDir, record.seed, record.phase), record);
}

/** Every sharpness file of a run directory, by file name; none when there is no sharpness/. */
export function readSharpnessRecords<S extends SharpnessPlace>(runDir: string): S[] {
  return jsonFiles(sharpnessDir(runDir)).map((file) => sharpnessRecord(file) as S);
}

function sharpnessRecord(file: string): SharpnessPlace {
  let record: unknown;
  try {
    record = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new GradscopeFileError(file, 'not a sharpness record (not JSON)');
  }
  const r = record as (Partial<SharpnessPlace> & { keskar?: unknown; hessian?: unknown }) | null;
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
  return r as SharpnessPlace;
}
