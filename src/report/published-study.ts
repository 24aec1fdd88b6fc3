/**
 * A published study (docs/results/<name>/): its report.json and results.json (how long it
 * took, on which machine, with which gradscope), read whole but bounded, each field the pages
 * print checked to be there, so a damaged file is one line naming it, never a page of "NaN".
 */
import { parseBoundedJson } from '../core/bounded-json';
import { GradscopeFileError } from '../core/errors';
import { readTextFile } from '../core/regular-file';
import { publishedMetadataFile, publishedReportFile } from '../store/results-paths';

/** report.json's size cap: a three-seed F1 study's is well under 5 MB. */
export const PUBLISHED_REPORT_BYTES = 64 * 1024 * 1024;

/** results.json: what scripts/results.sh records beside the report. */
export interface ResultsMetadata {
  name: string;
  /** The command that produced the run, as typed. */
  command: string;
  /** Wall time of the regeneration, in seconds. */
  seconds: number;
  /** The scratch run was resumed: `seconds` leaves out the invocations before. */
  resumed?: boolean;
  /** When it ended, ISO 8601 UTC. */
  finished: string;
  machine: { cpu: string; cores: number };
  gradscope: { version: string; commit: string };
}

export interface PublishedStudy<Report> {
  name: string;
  report: Report;
  metadata: ResultsMetadata;
}

/**
 * A JSON file of at most `maxBytes`, parsed, nesting bounded; a problem is one line naming it.
 *
 * @example
 * ```ts
 * const report = readJsonFile('docs/results/thesis-f1/report.json', PUBLISHED_REPORT_BYTES);
 * ```
 */
export function readJsonFile(file: string, maxBytes: number): unknown {
  const parsed = parseBoundedJson(readTextFile(file, maxBytes), 256);
  if ('problem' in parsed) throw new GradscopeFileError(file, parsed.problem);
  return parsed.value;
}

/**
 * The value at `at` (a dotted path) of `value`, refused in one line when it is not `kind`.
 *
 * @example
 * ```ts
 * const arms = field(report, 'config.process2.arms', 'array', 'report.json') as number[];
 * ```
 */
export function field(
  value: unknown,
  at: string,
  kind: 'number' | 'string' | 'array' | 'object',
  file: string,
): unknown {
  let v: unknown = value;
  for (const key of at.split('.'))
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  const ok =
    kind === 'array'
      ? Array.isArray(v)
      : kind === 'object'
        ? typeof v === 'object' && v !== null && !Array.isArray(v)
        : typeof v === kind;
  if (!ok)
    throw new GradscopeFileError(
      file,
      `${at}: expected ${kind === 'array' || kind === 'object' ? `an ${kind}` : `a ${kind}`}`,
    );
  return v;
}

function readMetadata(file: string): ResultsMetadata {
  const m = readJsonFile(file, 1024 * 1024);
  for (const at of [
    'name',
    'command',
    'finished',
    'machine.cpu',
    'gradscope.version',
    'gradscope.commit',
  ])
    field(m, at, 'string', file);
  for (const at of ['seconds', 'machine.cores']) field(m, at, 'number', file);
  return m as ResultsMetadata;
}

/**
 * The published study `name` under `root`, its report checked by `check` (which names the
 * fields it needs and throws a GradscopeFileError naming the file).
 *
 * @example
 * ```ts
 * const study = readPublishedStudy('docs/results', 'thesis-f1', (r) => r as ReportJson);
 * console.log(study.metadata.machine.cpu, study.metadata.seconds);
 * ```
 */
export function readPublishedStudy<Report>(
  root: string,
  name: string,
  check: (report: unknown, file: string) => Report,
): PublishedStudy<Report> {
  const reportFile = publishedReportFile(root, name);
  return {
    name,
    report: check(readJsonFile(reportFile, PUBLISHED_REPORT_BYTES), reportFile),
    metadata: readMetadata(publishedMetadataFile(root, name)),
  };
}
