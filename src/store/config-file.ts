/**
 * config.json of a run directory, the one writer and the readers: a training run's (its
 * resolved training config and what else it records) or a study's (the study config), each
 * with the gradscope version and the data found. Its presence marks a run directory.
 */
import * as fs from 'fs';
import { writeFileAtomic } from '../core/atomic-write';
import type { StudyData } from '../data/load';
import { configFile } from './run-paths';

/** What a study's config.json holds: the study config (its type is src/experiments/'s). */
export interface StoredStudy<S> {
  gradscope: string;
  study: S;
  data: string;
}

/** The gradscope version that writes the run. */
function gradscopeVersion(): string {
  return (require('../../../package.json') as { version: string }).version;
}

/** Whether `runDir` holds a run (its config.json). */
export function holdsRun(runDir: string): boolean {
  return fs.existsSync(configFile(runDir));
}

/** A run directory's config.json, parsed. */
export function readConfigFile(runDir: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(configFile(runDir), 'utf8')) as Record<string, unknown>;
}

/** A study run directory's config.json, parsed; a training run's has no `study`. */
export function readStudyConfigFile<S>(runDir: string): Partial<StoredStudy<S>> {
  return readConfigFile(runDir) as Partial<StoredStudy<S>>;
}

/** Writes config.json: the gradscope version, `recorded`, and the data found. */
export function writeConfigFile(
  runDir: string,
  recorded: Record<string, unknown>,
  dataFound: string,
): void {
  const content = { gradscope: gradscopeVersion(), ...recorded, data: dataFound };
  writeFileAtomic(configFile(runDir), JSON.stringify(content, null, 2) + '\n');
}

/** A study's config.json: the gradscope version, the study config and the data found. */
export function writeStudyConfigFile(runDir: string, study: object, data: StudyData): void {
  writeConfigFile(runDir, { study }, data.description);
}
