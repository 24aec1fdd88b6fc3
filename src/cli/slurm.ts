/**
 * `gradscope run CONFIG --out DIR --executor slurm [--slurm-partition P] [--slurm-time T]
 * [--slurm-gpus G] [--slurm-account A] [--slurm-option OPT ...] [--dry-run]`: one sbatch
 * job per piece of the study not yet done, each `gradscope run ... --only PIECE --resume`
 * on the shared run directory, with `--dependency=afterok:` edges to the jobs of the pieces
 * it depends on (a job whose dependency failed is cancelled: --kill-on-invalid-dep=yes),
 * requeueable, its log in DIR/slurm/PIECE-JOBID.log. The job scripts and DIR/slurm/submit.sh
 * (the same submissions as a shell script) are written first; --dry-run stops there.
 * DIR/slurm/jobs.json records every job id of every piece. A piece whose last job is still
 * queued or running is not submitted again, and a new job depends on it.
 *
 * Every value in those scripts goes through src/core/quote.ts: shellQuote for the shell
 * lines, slurmDirective for each `#SBATCH` line (slurmFilePattern for the log path); a value
 * a directive cannot hold (a newline in --out) is refused before anything is written.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../core/atomic-write';
import { expected, GradscopeInputError } from '../core/errors';
import { withLock } from '../core/lock';
import { shellQuote, slurmDirective, slurmFilePattern } from '../core/quote';
import type { SlurmSettings, StudyConfig } from '../experiments/config';
import { donePieces, selectPieces, studyPieces, type Piece } from '../experiments/pieces';
import {
  jobLogFile,
  jobScriptFile,
  jobsFile,
  slurmDir,
  studyLockFile,
  submitScriptFile,
} from '../store/study-paths';
import type { Log } from '../core/log';
import type { ThreadSettings } from '../engine/threads';
import {
  GRADSCOPE_JS,
  pieceArgs,
  prepareStudy,
  recordSource,
  type StudySource,
} from './run-pieces';

/** The full path of a program on the PATH, or undefined. */
export function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir || '.', program);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** DIR/slurm/jobs.json: piece -> every job id submitted for it, the latest last. */
export function readJobs(out: string): Record<string, string[]> {
  try {
    return JSON.parse(fs.readFileSync(jobsFile(out), 'utf8')) as Record<string, string[]>;
  } catch {
    return {};
  }
}

/** The state Slurm gives each job (squeue while it is known there, scontrol or sacct after). */
export function slurmStates(ids: string[]): Map<string, string> {
  const states = new Map<string, string>();
  if (ids.length === 0 || !onPath('squeue')) return states;
  const run = (cmd: string, args: string[]) =>
    spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 }).stdout ?? '';
  for (const line of run('squeue', ['-h', '-j', ids.join(','), '-o', '%i %T']).split('\n')) {
    const [id, state] = line.trim().split(/\s+/);
    if (id && state) states.set(id, state);
  }
  for (const id of ids.filter((i) => !states.has(i))) {
    const shown = /JobState=(\S+)/.exec(run('scontrol', ['show', 'job', '-o', id]));
    if (shown) states.set(id, shown[1]!);
  }
  const missing = ids.filter((i) => !states.has(i));
  if (missing.length && onPath('sacct'))
    for (const line of run('sacct', [
      '-n',
      '-X',
      '-P',
      '-j',
      missing.join(','),
      '-o',
      'JobID,State',
    ]).split('\n')) {
      const [id, state] = line.trim().split('|');
      if (id && state) states.set(id, state.split(' ')[0]!);
    }
  return states;
}

export const ACTIVE = new Set([
  'PENDING',
  'RUNNING',
  'CONFIGURING',
  'COMPLETING',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'RESIZING',
  'SUSPENDED',
  'STAGE_OUT',
  'SIGNALING',
]);

/** The options of `gradscope run` that the Slurm executor reads. */
export interface SlurmValues {
  'slurm-partition': string | undefined;
  'slurm-time': string | undefined;
  'slurm-gpus': string | undefined;
  'slurm-account': string | undefined;
  'slurm-option': string[];
  'dry-run': boolean;
  jobs: number | undefined;
  threads: ThreadSettings | undefined;
  only: string | undefined;
  resume: boolean;
}

function settingsOf(values: SlurmValues, fromConfig: SlurmSettings | undefined) {
  const word = (option: string, value: unknown) => {
    if (value === undefined) return undefined;
    const s = String(value);
    if (!/^[^\s'"\\]+$/.test(s)) throw expected('a word (no spaces or quotes)', option, value);
    return s;
  };
  const options = [...(fromConfig?.options ?? []), ...values['slurm-option']];
  for (const o of options)
    if (!/^--?[\w-]+(=[^\n'"\\]*)?$/.test(o))
      throw expected('an sbatch option such as --qos=long', '--slurm-option', o);
  return {
    partition: word('--slurm-partition', values['slurm-partition'] ?? fromConfig?.partition),
    time: word('--slurm-time', values['slurm-time'] ?? fromConfig?.time),
    gpus: word('--slurm-gpus', values['slurm-gpus'] ?? fromConfig?.gpus),
    account: word('--slurm-account', values['slurm-account'] ?? fromConfig?.account),
    options,
  };
}

/** A shell variable name for a piece in submit.sh. */
export function jobVariable(piece: string): string {
  return `job_${piece.replace(/[^\w]/g, '_')}`;
}

/** What follows `#SBATCH ` on each line of a piece's job script; throws (one line) on a
 * value no directive can hold. */
function jobDirectives(
  piece: Piece,
  out: string,
  threads: number | undefined,
  settings: ReturnType<typeof settingsOf>,
): string[] {
  // the job's own log, %j (sbatch's pattern for the job id) kept, every other % escaped
  const file = jobLogFile(out, piece.name, '%j');
  const at = file.lastIndexOf('%j');
  const log = slurmFilePattern(file.slice(0, at), '--out') + file.slice(at);
  const optional = (option: string, value: string | undefined, source: string) =>
    value ? [slurmDirective(option, value, source)] : [];
  return [
    slurmDirective('--job-name', `gradscope-${piece.name}`),
    slurmDirective('--output', log, '--out'),
    '--open-mode=append',
    '--requeue',
    '--ntasks=1',
    ...optional(
      '--cpus-per-task',
      threads === undefined ? undefined : String(threads),
      '--threads',
    ),
    ...optional('--partition', settings.partition, '--slurm-partition'),
    ...optional('--time', settings.time, '--slurm-time'),
    ...optional('--gpus', settings.gpus, '--slurm-gpus'),
    ...optional('--account', settings.account, '--slurm-account'),
    ...settings.options.map((o) => {
      const at = o.indexOf('=');
      return at < 0 ? o : slurmDirective(o.slice(0, at), o.slice(at + 1), '--slurm-option');
    }),
  ];
}

function jobScript(
  piece: Piece,
  out: string,
  source: StudySource,
  threads: number | undefined,
  settings: ReturnType<typeof settingsOf>,
): string {
  const command = [process.execPath, GRADSCOPE_JS, ...pieceArgs(source, out, piece.name, threads)];
  return [
    '#!/bin/bash',
    ...jobDirectives(piece, out, threads, settings).map((d) => `#SBATCH ${d}`),
    `# gradscope piece ${piece.name}; after: ${piece.after.join(' ') || '(none)'}`,
    '# requeued or resubmitted, it resumes from the run directory (--resume)',
    `cd ${shellQuote(process.cwd())}`,
    `exec ${command.map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
}

export function runSlurm(
  study: StudyConfig,
  out: string,
  values: SlurmValues,
  log: Log,
  source: StudySource,
  fromConfig: SlurmSettings | undefined,
): unknown {
  const dryRun = values['dry-run'];
  if (!dryRun && !onPath('sbatch'))
    throw new GradscopeInputError(
      '--executor slurm: no Slurm on this machine (sbatch is not on the PATH); --dry-run writes the job scripts without submitting',
    );
  if (values.jobs !== undefined)
    throw new GradscopeInputError('--jobs is for the local executor; Slurm runs the pieces');
  const settings = settingsOf(values, fromConfig);
  // --threads N: both pools N, so N cores per job
  const threads = values.threads?.torch;
  const all = studyPieces(study);
  const chosen = values.only !== undefined ? selectPieces(all, values.only) : all;
  for (const piece of chosen) jobDirectives(piece, out, threads, settings); // refused before any write
  if (!dryRun) prepareStudy(study, out, values.only !== undefined ? 'either' : values.resume);
  fs.mkdirSync(slurmDir(out), { recursive: true });
  recordSource(out, source);
  const done = donePieces(out, all);
  const jobs = dryRun ? {} : readJobs(out);
  const states = dryRun
    ? new Map<string, string>()
    : slurmStates(Object.values(jobs).flatMap((j) => j.slice(-1)));
  /** The job of a piece still queued or running, which a new job may depend on. */
  const active = (name: string) => {
    const last = jobs[name]?.at(-1);
    return last !== undefined && ACTIVE.has(states.get(last) ?? '') ? last : undefined;
  };
  const toSubmit = chosen.filter((p) => !done.has(p.name) && active(p.name) === undefined);
  const submitting = new Set(toSubmit.map((p) => p.name));
  for (const piece of toSubmit) {
    const missing = piece.after.filter(
      (a) => !done.has(a) && !submitting.has(a) && active(a) === undefined,
    );
    if (missing.length)
      throw new GradscopeInputError(
        `piece ${piece.name} cannot be submitted: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} neither done, queued nor submitted with it`,
      );
  }
  const submit = [
    '#!/bin/bash',
    '# the submissions of gradscope run --executor slurm, in order',
    'set -euo pipefail',
  ];
  for (const piece of toSubmit) {
    const script = jobScriptFile(out, piece.name);
    writeFileAtomic(script, jobScript(piece, out, source, threads, settings));
    fs.chmodSync(script, 0o755);
    const deps = piece.after.filter((a) => !done.has(a));
    const depRefs = deps.map((a) => (submitting.has(a) ? `$${jobVariable(a)}` : active(a)!));
    submit.push(
      `${jobVariable(piece.name)}=$(sbatch --parsable${deps.length ? ` --dependency=afterok:${depRefs.join(':')} --kill-on-invalid-dep=yes` : ''} ${shellQuote(script)})`,
    );
  }
  writeFileAtomic(submitScriptFile(out), submit.join('\n') + '\n');
  if (dryRun) {
    log.info(
      `gradscope: ${toSubmit.length} job scripts in ${slurmDir(out)}; submit them with: bash ${shellQuote(submitScriptFile(out))}`,
    );
    if (!log.json) process.stdout.write(`${slurmDir(out)}\n`);
    return { runDir: out, scripts: toSubmit.map((p) => p.name) };
  }
  const ids = new Map<string, string>();
  for (const piece of toSubmit) {
    const deps = piece.after.filter((a) => !done.has(a)).map((a) => ids.get(a) ?? active(a)!);
    const args = [
      '--parsable',
      ...(deps.length
        ? [`--dependency=afterok:${deps.join(':')}`, '--kill-on-invalid-dep=yes']
        : []),
      jobScriptFile(out, piece.name),
    ];
    const result = spawnSync('sbatch', args, { encoding: 'utf8', timeout: 60_000 });
    const id = /^(\d+)/.exec(result.stdout ?? '')?.[1];
    if (result.status !== 0 || !id)
      throw new GradscopeInputError(
        `sbatch refused the job of ${piece.name}: ${(result.stderr || result.error?.message || '').trim().split('\n')[0]}${ids.size ? ` (submitted before it: ${[...ids.values()].join(', ')})` : ''}`,
      );
    ids.set(piece.name, id);
    withLock(studyLockFile(out), `the study files of ${out}`, () => {
      const recorded = readJobs(out);
      recorded[piece.name] = [...(recorded[piece.name] ?? []), id];
      writeFileAtomic(jobsFile(out), JSON.stringify(recorded, null, 2) + '\n');
    });
    log.info(
      `gradscope: ${piece.name}: job ${id}${deps.length ? ` (after ${deps.join(', ')})` : ''}`,
    );
  }
  log.info(
    `gradscope: ${ids.size} jobs submitted (${done.size} pieces already done); follow them with: gradscope status ${out}`,
  );
  if (!log.json) process.stdout.write(`${out}\n`);
  return { runDir: out, jobs: Object.fromEntries(ids) };
}
