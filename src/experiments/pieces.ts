/**
 * The study as a graph of pieces, each a unit of work that can run alone, in another
 * process or on another machine, resumable, with its own lock:
 *
 *   seed-<s>.process1                  process 1 with its Experiment B points; ends with
 *                                      checkpoints/branch.safetensors, the hand-over
 *   seed-<s>.arm-<B2>                  one arm of process 2, after seed-<s>.process1
 *   seed-<s>.line-<from>-<to>          Experiment A between two arms' final states, after both
 *   seed-<s>.sharpness-<arm>           the sharpness of an arm's final state, after the arm
 *   seed-<s>.trajectory                process 1 and every arm in one plane, after all of them
 *   report                             report.json, report.html, tables, figures, after all
 *
 * Whether a piece is done is read from the run directory alone (metrics.jsonl's status
 * lines, the files written), so any process, on any machine sharing the directory, sees the
 * same state.
 */
import * as fs from 'fs';
import { GradscopeInputError } from '../core/errors';
import { holdsEpochCheckpoint } from '../store/checkpoint-files';
import { phaseEnd, readMetrics, type MetricsRecord } from '../store/metrics';
import { holdsReport } from '../store/report-file';
import { metricsFile } from '../store/run-paths';
import {
  lineFile,
  seedCheckpointDir,
  seedDir,
  sharpnessFile,
  trajectoryFile,
} from '../store/study-paths';
import type { StudyConfig } from './config';

export type PieceKind = 'process1' | 'arm' | 'line' | 'sharpness' | 'trajectory' | 'report';

export interface Piece {
  name: string;
  kind: PieceKind;
  /** The pieces that must be done before this one starts. */
  after: string[];
  seed?: number;
  /** process1 or arm-<B2> (training, sharpness). */
  phase?: string;
  /** A line's two arms. */
  pair?: [string, string];
}

export function pieceName(seed: number, what: string): string {
  return `seed-${seed}.${what}`;
}

/** Every piece of the study, each after the pieces it depends on (a topological order). */
export function studyPieces(study: StudyConfig): Piece[] {
  const pieces: Piece[] = [];
  for (const seed of study.seeds) {
    const process1 = pieceName(seed, 'process1');
    pieces.push({ name: process1, kind: 'process1', after: [], seed, phase: 'process1' });
    for (const b2 of study.process2.arms) {
      const phase = `arm-${b2}`;
      pieces.push({ name: pieceName(seed, phase), kind: 'arm', after: [process1], seed, phase });
    }
    for (const [from, to] of study.lines.pairs)
      pieces.push({
        name: pieceName(seed, `line-${from}-${to}`),
        kind: 'line',
        after: [...new Set([pieceName(seed, from), pieceName(seed, to)])],
        seed,
        pair: [from, to],
      });
    if (study.sharpness)
      for (const b2 of study.process2.arms) {
        const phase = `arm-${b2}`;
        pieces.push({
          name: pieceName(seed, `sharpness-${phase}`),
          kind: 'sharpness',
          after: [pieceName(seed, phase)],
          seed,
          phase,
        });
      }
    if (study.trajectory)
      pieces.push({
        name: pieceName(seed, 'trajectory'),
        kind: 'trajectory',
        after: [process1, ...study.process2.arms.map((b2) => pieceName(seed, `arm-${b2}`))],
        seed,
      });
  }
  pieces.push({ name: 'report', kind: 'report', after: pieces.map((p) => p.name) });
  return pieces;
}

/** `--plan`: one line per piece, `NAME` or `NAME after A, B`. */
export function planText(pieces: Piece[]): string {
  return pieces
    .map((p) => (p.after.length ? `${p.name} after ${p.after.join(', ')}` : p.name))
    .join('\n');
}

/** `--only A,B`: the named pieces, in the plan's order; an unknown name is one clear line. */
export function selectPieces(pieces: Piece[], names: string): Piece[] {
  const wanted = names
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const known = new Set(pieces.map((p) => p.name));
  for (const n of wanted)
    if (!known.has(n))
      throw new GradscopeInputError(
        `--only: no piece "${n}" in this study (gradscope run ... --plan lists them: ${pieces
          .slice(0, 4)
          .map((p) => p.name)
          .join(', ')}, ...)`,
      );
  if (wanted.length === 0) throw new GradscopeInputError('--only needs at least one piece name');
  return pieces.filter((p) => wanted.includes(p.name));
}

/** Whether a phase of a seed has left any epoch checkpoint. */
function hasCheckpoint(runDir: string, seed: number, phase: string): boolean {
  return holdsEpochCheckpoint(seedCheckpointDir(runDir, seed, phase));
}

/**
 * Which pieces are done, from the files of the run directory. A piece with nothing to do
 * (an arm of a process 1 that diverged, a line to an arm that diverged before its first
 * epoch) counts as done once what it depends on is.
 */
export function donePieces(runDir: string, pieces: Piece[]): Set<string> {
  const done = new Set<string>();
  const metrics = new Map<number, MetricsRecord[]>();
  const recordsOf = (seed: number) => {
    if (!metrics.has(seed)) metrics.set(seed, readMetrics(metricsFile(seedDir(runDir, seed))));
    return metrics.get(seed)!;
  };
  for (const p of pieces) {
    const afterDone = p.after.every((a) => done.has(a));
    const seed = p.seed ?? 0;
    let isDone = false;
    if (p.kind === 'process1') {
      const records = recordsOf(seed);
      isDone =
        phaseEnd(records, 'process1')?.status === 'diverged' ||
        records.some(
          (r) =>
            r.kind === 'status' &&
            r.phase === 'process1' &&
            (r as { status?: unknown }).status === 'branched',
        );
    } else if (p.kind === 'arm') {
      const records = recordsOf(seed);
      const branched = records.some(
        (r) =>
          r.kind === 'status' &&
          r.phase === 'process1' &&
          (r as { status?: unknown }).status === 'branched',
      );
      isDone = phaseEnd(records, p.phase!) !== undefined || (afterDone && !branched);
    } else if (p.kind === 'line') {
      const [from, to] = p.pair!;
      isDone =
        fs.existsSync(lineFile(runDir, seed, from, to)) ||
        (afterDone && !(hasCheckpoint(runDir, seed, from) && hasCheckpoint(runDir, seed, to)));
    } else if (p.kind === 'sharpness') {
      isDone =
        fs.existsSync(sharpnessFile(runDir, seed, p.phase!)) ||
        (afterDone && !hasCheckpoint(runDir, seed, p.phase!));
    } else if (p.kind === 'trajectory') {
      isDone =
        fs.existsSync(trajectoryFile(runDir, seed)) ||
        (afterDone && !hasCheckpoint(runDir, seed, 'process1'));
    } else {
      isDone = afterDone && holdsReport(runDir);
    }
    if (isDone) done.add(p.name);
  }
  return done;
}

/** Refuses, in one line, a piece whose dependencies are not all done. */
export function checkReady(piece: Piece, done: Set<string>): void {
  const missing = piece.after.filter((a) => !done.has(a));
  if (missing.length)
    throw new GradscopeInputError(
      `piece ${piece.name} cannot start: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not done (run ${missing.length === 1 ? 'it' : 'them'} first: --only ${missing.join(',')})`,
    );
}
