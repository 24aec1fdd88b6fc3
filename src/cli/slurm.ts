/** Placeholder: filled in below. */
import type { StudyConfig } from '../experiments/config';
import type { Log } from './log';
import type { StudySource } from './run-pieces';
export function runSlurm(
  _config: StudyConfig,
  _out: string,
  _values: Record<string, unknown>,
  _log: Log,
  _source: StudySource,
): unknown {
  throw new Error('not yet');
}
