/**
 * `gradscope status DIR`: each piece of a study run directory, done, running, queued,
 * failed or waiting, from the directory's files (metrics, results, piece locks, the logs
 * of --jobs) and, for pieces submitted with --executor slurm, from squeue / scontrol /
 * sacct. A failed piece is shown with the last line of its log and the command that
 * retries it. A switch study's directory is shown phase by phase (src/experiments/switch-status.ts).
 */
import * as fs from 'fs';
import { GradscopeInputError } from '../core/errors';
import { lockHeld } from '../core/lock';
import type { StudyConfig } from '../experiments/config';
import { donePieces, studyPieces } from '../experiments/pieces';
import {
  isSwitchStudyRun,
  switchStatusText,
  switchStudyStatus,
} from '../experiments/switch-status';
import { holdsRun, readStudyConfigFile } from '../store/config-file';
import { configFile } from '../store/run-paths';
import { jobLogFile, pieceLockFile, pieceLogFile } from '../store/study-paths';
import type { Command } from './command';
import { pieceCommand, readSource } from './run-pieces';
import { ACTIVE, readJobs, slurmStates } from './slurm';

export type PieceState = 'done' | 'running' | 'queued' | 'failed' | 'waiting';

export interface PieceStatus {
  piece: string;
  state: PieceState;
  job?: string;
  slurmState?: string;
  lastLogLine?: string;
  log?: string;
  retry?: string;
}

function lastLine(file: string): string | undefined {
  try {
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^gradscope: piece \S+ exited with/.test(l));
    return lines.at(-1);
  } catch {
    return undefined;
  }
}

export function studyStatus(out: string): PieceStatus[] {
  if (!holdsRun(out)) throw new GradscopeInputError(`${out} holds no study (no config.json)`);
  const study = readStudyConfigFile<StudyConfig>(out).study;
  if (!study) throw new GradscopeInputError(`${configFile(out)} is not a study's config.json`);
  const pieces = studyPieces(study);
  const done = donePieces(out, pieces);
  const jobs = readJobs(out);
  const states = slurmStates(Object.values(jobs).flatMap((ids) => ids.slice(-1)));
  const source = readSource(out);
  return pieces.map((p): PieceStatus => {
    const job = jobs[p.name]?.at(-1);
    const slurmState = job !== undefined ? states.get(job) : undefined;
    const base = {
      piece: p.name,
      ...(job !== undefined ? { job } : {}),
      ...(slurmState ? { slurmState } : {}),
    };
    if (done.has(p.name)) return { ...base, state: 'done' };
    if (lockHeld(pieceLockFile(out, p.name)) || slurmState === 'RUNNING')
      return { ...base, state: 'running' };
    if (slurmState !== undefined && ACTIVE.has(slurmState)) return { ...base, state: 'queued' };
    const log = job !== undefined ? jobLogFile(out, p.name, job) : pieceLogFile(out, p.name);
    const localFailed =
      job === undefined &&
      fs.existsSync(log) &&
      /exited with (?!0\n)\S+\s*$/.test(fs.readFileSync(log, 'utf8'));
    // a job cancelled before it started (its dependency failed) has no log: it is waiting
    const slurmFailed = slurmState !== undefined && !ACTIVE.has(slurmState) && fs.existsSync(log);
    if (!localFailed && !slurmFailed) return { ...base, state: 'waiting' };
    const retry = source
      ? job !== undefined
        ? // its dependents were cancelled with it: submit every piece not done or queued
          pieceCommand(source, out, p.name).replace(
            ` --only ${p.name} --resume`,
            ' --executor slurm --resume',
          )
        : pieceCommand(source, out, p.name)
      : `gradscope run CONFIG --out ${out} --only ${p.name} --resume`;
    const line = lastLine(log);
    return {
      ...base,
      state: 'failed',
      log,
      ...(line !== undefined ? { lastLogLine: line } : {}),
      retry,
    };
  });
}

export const statusCommand: Command = {
  summary: 'what is done, running, queued or failed in a study or switch study run directory',
  operands: '<run-dir>',
  example: 'gradscope status runs/thesis-f1',
  globals: ['json', 'quiet'],
  options: {},
  run(_values, positionals, log) {
    const out = positionals[0];
    if (!out) throw new GradscopeInputError('gradscope status needs a run directory');
    if (holdsRun(out) && isSwitchStudyRun(out)) {
      const s = switchStudyStatus(out);
      if (!log.json) process.stdout.write(switchStatusText(s));
      return { runDir: out, switchStudy: s };
    }
    const status = studyStatus(out);
    if (!log.json) {
      const width = Math.max(...status.map((s) => s.piece.length));
      const lines: string[] = [];
      for (const s of status) {
        const job = s.job ? ` (job ${s.job}${s.slurmState ? ` ${s.slurmState}` : ''})` : '';
        lines.push(`${s.piece.padEnd(width)}  ${s.state}${job}`);
        if (s.state === 'failed') {
          if (s.lastLogLine) lines.push(`  last log line: ${s.lastLogLine}`);
          lines.push(`  retry: ${s.retry}`);
        }
      }
      const count = (state: PieceState) => status.filter((s) => s.state === state).length;
      lines.push(
        `${count('done')} done, ${count('running')} running, ${count('queued')} queued, ${count('failed')} failed, ${count('waiting')} waiting (of ${status.length})`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return { runDir: out, pieces: status };
  },
};
