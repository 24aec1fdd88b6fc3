/**
 * config.json of a run directory, the one writer and the readers: a training run's (its
 * resolved training config and what else it records) or a study's (the study config), each
 * with the gradscope version and the data found. Its presence marks a run directory.
 */
import * as fs from 'fs';
import { writeFileAtomic } from '../core/atomic-write';
import { parseBoundedJson } from '../core/bounded-json';
import { GradscopeFileError } from '../core/errors';
import { readTextFile } from '../core/regular-file';
import type { StudyData } from '../data/load';
import { configFile } from './run-paths';

/** What a study's config.json holds: the study config (its type is src/experiments/'s). */
export interface StoredStudy<S> {
  gradscope: string;
  study: S;
  data: string;
  /** Token data by characters: the character of each id. */
  vocabulary?: string[];
  /** Token data only: how its ids were made (so the report says "per token"). */
  tokeniser?: StudyData['tokeniser'];
}

/** The gradscope version that writes the run. */
function gradscopeVersion(): string {
  return (require('../../../package.json') as { version: string }).version;
}

/** Whether `runDir` holds a run (its config.json). */
export function holdsRun(runDir: string): boolean {
  return fs.existsSync(configFile(runDir));
}

/** Whether `runDir` holds a switch study (its config.json records `switchStudy`). */
export function holdsSwitchStudy(runDir: string): boolean {
  return holdsRun(runDir) && readConfigFile(runDir).switchStudy !== undefined;
}

/** Far above a study's config.json (a few KB), far below a memory problem. */
const MAX_CONFIG_BYTES = 16 * 2 ** 20;
/** A study config nests a few levels (study, process2, arms); anything deeper is not ours. */
const MAX_CONFIG_DEPTH = 32;

/** A run directory's config.json, parsed: a regular file, bounded in size and nesting, holding
 * a JSON object; any other is one line naming the file. */
export function readConfigFile(runDir: string): Record<string, unknown> {
  const file = configFile(runDir);
  const parsed = parseBoundedJson(readTextFile(file, MAX_CONFIG_BYTES), MAX_CONFIG_DEPTH);
  const damaged = (problem: string) =>
    new GradscopeFileError(file, `a run's config.json that ${problem}: damaged or not gradscope's`);
  if ('problem' in parsed) throw damaged(parsed.problem);
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw damaged('is not a JSON object');
  return value as Record<string, unknown>;
}

/** A study run directory's config.json, parsed; a training run's has no `study`. */
export function readStudyConfigFile<S>(runDir: string): Partial<StoredStudy<S>> {
  const stored = readConfigFile(runDir);
  const study = stored.study;
  if (study !== undefined && (typeof study !== 'object' || study === null || Array.isArray(study)))
    throw new GradscopeFileError(
      configFile(runDir),
      `a run's config.json whose "study" is not an object: damaged or not gradscope's`,
    );
  return stored as Partial<StoredStudy<S>>;
}

/**
 * Writes config.json: the gradscope version, `recorded`, and the data found; for token data by
 * characters also its `vocabulary` (the character of each id, in id order), so a run's ids read
 * back as text.
 */
export function writeConfigFile(
  runDir: string,
  recorded: Record<string, unknown>,
  dataFound: string,
  vocabulary?: string[],
): void {
  const content = {
    gradscope: gradscopeVersion(),
    ...recorded,
    data: dataFound,
    ...(vocabulary && { vocabulary }),
  };
  writeFileAtomic(configFile(runDir), JSON.stringify(content, null, 2) + '\n');
}

/** A study's config.json: the gradscope version, the study config and the data found (for
 * token data, its tokeniser). */
export function writeStudyConfigFile(runDir: string, study: object, data: StudyData): void {
  const tokens = data.tokeniser ? { tokeniser: data.tokeniser } : {};
  writeConfigFile(runDir, { study, ...tokens }, data.description, data.vocabulary);
}
