/**
 * `gradscope run CONFIG --out DIR --plan | --only PIECE[,PIECE...] | --jobs N`: the study
 * as pieces (src/experiments/pieces.ts). `--only` runs the named pieces in this process;
 * `--jobs N` runs the whole study as child processes, `gradscope run ... --only PIECE
 * --resume`, at most N at once, each started when the pieces it depends on are done,
 * with the threads split between them. Each child's stderr also goes to DIR/logs/PIECE.log.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadData } from '../data/load';
import { tokenWindowsFor } from '../engine/data-options';
import { networkSpec } from '../models';
import { GradscopeInputError } from '../core/errors';
import { lockRunDirectory, withLock } from '../core/lock';
import { shellQuote } from '../core/quote';
import type { StudyConfig } from '../experiments/config';
import { prepareStudyDirectory, runPieces } from '../experiments/piece-work';
import {
  checkReady,
  donePieces,
  selectPieces,
  studyPieces,
  type Piece,
} from '../experiments/pieces';
import { holdsRun } from '../store/config-file';
import { logsDir, pieceLogFile, sourceFile, studyLockFile } from '../store/study-paths';
import { writeStudyReport } from '../report/study-report';
import { checkRunDirectory } from '../train/run';
import type { Progress } from '../train/progress';
import { RunStopped } from '../train/stop';
import type { Log } from '../core/log';

export const GRADSCOPE_JS = path.join(__dirname, '..', '..', '..', 'bin', 'gradscope.js');

/** What a child (or a Slurm job) needs to rebuild the same study config. */
export interface StudySource {
  /** The config file (absolute) or "thesis". */
  what: string;
  options: string[];
}

/** The arguments of `gradscope run` for one piece of the study in `out`. */
export function pieceArgs(
  source: StudySource,
  out: string,
  piece: string,
  threads: number | undefined,
): string[] {
  return [
    'run',
    source.what,
    ...source.options,
    '--out',
    path.resolve(out),
    '--only',
    piece,
    '--resume',
    ...(threads !== undefined ? ['--threads', String(threads)] : []),
  ];
}

/** `gradscope run <what> ... --only PIECE --resume`, quoted for a shell. */
export function pieceCommand(source: StudySource, out: string, piece: string): string {
  return ['gradscope', ...pieceArgs(source, out, piece, undefined).map(shellQuote)].join(' ');
}

/** Where the executors keep what `gradscope status` needs: the study's source and logs. */
export function recordSource(out: string, source: StudySource): void {
  fs.mkdirSync(logsDir(out), { recursive: true });
  fs.writeFileSync(sourceFile(out), JSON.stringify(source) + '\n');
}

export function readSource(out: string): StudySource | undefined {
  try {
    return JSON.parse(fs.readFileSync(sourceFile(out), 'utf8')) as StudySource;
  } catch {
    return undefined;
  }
}

/** `--only`: the named pieces in this process; the report last, once all else is done. */
export async function runOnly(
  study: StudyConfig,
  out: string,
  only: string,
  progress: Progress,
): Promise<void> {
  const all = studyPieces(study);
  const chosen = selectPieces(all, only);
  await runPieces(
    study,
    out,
    chosen.map((p) => p.name),
    { progress },
  );
  const report = chosen.find((p) => p.kind === 'report');
  if (!report) return;
  if (!holdsRun(out))
    throw new GradscopeInputError(`--only report: ${out} holds no study (no config.json)`);
  checkReady(report, donePieces(out, all));
  withLock(studyLockFile(out), `the study files of ${out}`, () => writeStudyReport(out));
  progress.line('report: done');
}

/** Writes (or checks) config.json once, before any piece starts, under the study lock. */
export function prepareStudy(study: StudyConfig, out: string, resume: boolean | 'either'): void {
  if (resume !== 'either') checkRunDirectory(out, resume);
  prepareStudyDirectory(
    study,
    out,
    loadData(study.data, {
      standardise: study.standardise,
      ...(study.subset ? { subset: study.subset } : {}),
      ...tokenWindowsFor(networkSpec(study.network)),
    }),
  );
}

/** `--jobs N`: the pieces not done yet, as child processes, at most `jobs` at once. */
export async function runJobs(
  study: StudyConfig,
  out: string,
  options: {
    jobs: number;
    threads: number;
    resume: boolean;
    source: StudySource;
    log: Log;
  },
): Promise<void> {
  const { jobs, log } = options;
  // the run lock keeps out a sequential run or another --jobs; the children take piece locks
  const release = lockRunDirectory(out);
  const children = new Map<string, ChildProcess>();
  let stopping: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    stopping = signal;
    for (const child of children.values()) child.kill(signal);
  };
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  try {
    prepareStudy(study, out, options.resume);
    recordSource(out, options.source);
    const all = studyPieces(study);
    const done = donePieces(out, all);
    const pending: Piece[] = all.filter((p) => !done.has(p.name));
    const failed: string[] = [];
    const running = new Map<string, Promise<void>>();
    const threads = Math.max(1, Math.floor(options.threads / jobs));
    log.info(
      `gradscope: ${pending.length} of ${all.length} pieces to run, ${jobs} at once, ${threads} thread${threads === 1 ? '' : 's'} each`,
    );
    const start = (piece: Piece) => {
      const logFile = pieceLogFile(out, piece.name);
      const logStream = fs.createWriteStream(logFile, { flags: 'a' });
      const child = spawn(
        process.execPath,
        [GRADSCOPE_JS, ...pieceArgs(options.source, out, piece.name, threads)],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      children.set(piece.name, child);
      child.stderr!.on('data', (chunk: Buffer) => {
        logStream.write(chunk);
        if (!log.quiet) process.stderr.write(chunk);
      });
      running.set(
        piece.name,
        new Promise<void>((resolve) =>
          child.on('close', (code, signal) => {
            logStream.end(`gradscope: piece ${piece.name} exited with ${code ?? signal}\n`);
            children.delete(piece.name);
            running.delete(piece.name);
            if (code === 0) done.add(piece.name);
            else failed.push(piece.name);
            resolve();
          }),
        ),
      );
    };
    while (pending.length > 0 || running.size > 0) {
      if (!stopping && failed.length === 0)
        for (const piece of [...pending]) {
          if (running.size >= jobs) break;
          if (!piece.after.every((a) => done.has(a))) continue;
          pending.splice(pending.indexOf(piece), 1);
          start(piece);
        }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    if (stopping) {
      const error = new RunStopped(stopping, `stopped by ${stopping}; pieces done are kept`);
      throw error;
    }
    if (failed.length > 0)
      throw new GradscopeInputError(
        `piece ${failed.join(', ')} failed (its log: ${pieceLogFile(out, failed[0]!)}); retry with: ${pieceCommand(options.source, out, failed[0]!)}, or the same command with --resume`,
      );
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    release();
  }
}
