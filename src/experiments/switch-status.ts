/**
 * `gradscope status` of a switch study (switch-runner.ts), from its directory's files alone: per
 * seed and variant, each phase of the variant's training run (process 1, then its arms and
 * ramps) done, running or waiting, with the epochs it has trained of those it may train; and per
 * seed, the critical-batch branches finished of those the `criticalBatch` section asks for.
 *   done     the phase's metrics.jsonl holds a status that ends it (finished, switched,
 *            converged, diverged)
 *   running  a live process holds the phase's lock (variants/<v>/locks/seed-<s>.<phase>.lock)
 *   waiting  neither: not begun, or stopped part-way (a --resume continues it)
 */
import * as fs from 'fs';
import { GradscopeFileError } from '../core/errors';
import { lockHeld } from '../core/lock';
import { readConfigFile } from '../store/config-file';
import { branchResultFile, criticalBatchFile, criticalBatchLock } from '../store/critical-batch';
import { phaseEnd, readMetrics } from '../store/metrics';
import { configFile, metricsFile } from '../store/run-paths';
import { pieceLockFile, seedDir } from '../store/study-paths';
import { variantDir } from '../store/switch-study-paths';
import { variantArms, type SwitchStudyConfig } from './switch-config';
import { waitingRamps } from './switch-runner';

export type SwitchPhaseState = 'done' | 'running' | 'waiting';

export interface SwitchPhaseStatus {
  seed: number;
  variant: string;
  phase: string;
  state: SwitchPhaseState;
  /** Epochs the phase has trained, of at most `epochs` (a rule may end process 1 earlier). */
  trained: number;
  epochs: number;
  /** How a done phase ended: finished, switched, converged or diverged. */
  ended?: string;
  /** A ramp that waits for a critical-batch table that does not exist yet: the table's file. */
  waitsFor?: string;
}

export interface CriticalBatchStatus {
  seed: number;
  /** The variant whose process 1 the branches start from. */
  from: string;
  state: SwitchPhaseState;
  /** Branches finished, of epochs x batch sizes. */
  branches: number;
  of: number;
}

export interface SwitchStudyStatus {
  phases: SwitchPhaseStatus[];
  criticalBatch: CriticalBatchStatus[];
}

/** Whether `runDir`'s config.json records a switch study. */
export function isSwitchStudyRun(runDir: string): boolean {
  return readConfigFile(runDir).switchStudy !== undefined;
}

/** Each phase and critical-batch measurement of the switch study in `runDir`. */
export function switchStudyStatus(runDir: string): SwitchStudyStatus {
  const config = readConfigFile(runDir).switchStudy as SwitchStudyConfig | undefined;
  if (!config || typeof config !== 'object' || !Array.isArray(config.variants))
    throw new GradscopeFileError(configFile(runDir), 'not a switch study (no "switchStudy" field)');
  const phases: SwitchPhaseStatus[] = [];
  const criticalBatch: CriticalBatchStatus[] = [];
  for (const seed of config.seeds) {
    for (const v of config.variants) {
      const dir = variantDir(runDir, v.name);
      const run = seedDir(dir, seed);
      const records = fs.existsSync(metricsFile(run)) ? readMetrics(metricsFile(run)) : [];
      const waiting = new Map(waitingRamps(v).map((w) => [w.phase, w.table]));
      for (const phase of ['process1', ...variantArms(v)]) {
        const trained = records.filter((r) => r.kind === 'epoch' && r.phase === phase).length;
        const end = phaseEnd(records, phase);
        const state: SwitchPhaseState = end
          ? 'done'
          : lockHeld(pieceLockFile(dir, `seed-${seed}.${phase}`))
            ? 'running'
            : 'waiting';
        phases.push({
          seed,
          variant: v.name,
          phase,
          state,
          trained,
          epochs: phase === 'process1' ? v.process1.epochs : v.process2.epochs,
          ...(end ? { ended: end.status } : {}),
          ...(waiting.has(phase) ? { waitsFor: waiting.get(phase)! } : {}),
        });
      }
    }
    const k = config.criticalBatch;
    if (k) {
      const run = seedDir(variantDir(runDir, k.from), seed);
      const branches = k.epochs
        .flatMap((e) => k.batchSizes.map((b) => branchResultFile(run, e, b)))
        .filter((f) => fs.existsSync(f)).length;
      criticalBatch.push({
        seed,
        from: k.from,
        state: fs.existsSync(criticalBatchFile(run))
          ? 'done'
          : lockHeld(criticalBatchLock(run))
            ? 'running'
            : 'waiting',
        branches,
        of: k.epochs.length * k.batchSizes.length,
      });
    }
  }
  return { phases, criticalBatch };
}

/** The status as text: a line per phase, a line per critical-batch measurement, the counts. */
export function switchStatusText(s: SwitchStudyStatus): string {
  const name = (p: SwitchPhaseStatus) => `${p.variant}/${p.phase}`;
  const critical = (k: CriticalBatchStatus) => `critical batch size (${k.from})`;
  const width = Math.max(
    ...s.phases.map((p) => name(p).length),
    ...s.criticalBatch.map((k) => critical(k).length),
  );
  const lines: string[] = [];
  let seed: number | undefined;
  for (const p of s.phases) {
    if (p.seed !== seed) {
      seed = p.seed;
      lines.push(`seed ${seed}`);
    }
    const ended = p.ended && p.ended !== 'finished' ? ` (${p.ended})` : '';
    const waits = p.waitsFor && p.state !== 'done' ? `, waits for ${p.waitsFor}` : '';
    lines.push(
      `  ${name(p).padEnd(width)}  ${`${p.state}${ended}`.padEnd(20)} ${p.trained}/${p.epochs} epochs${waits}`,
    );
    const k = s.criticalBatch.find((c) => c.seed === p.seed);
    const last = s.phases.filter((q) => q.seed === p.seed).at(-1);
    if (k && p === last)
      lines.push(
        `  ${critical(k).padEnd(width)}  ${k.state.padEnd(20)} ${k.branches}/${k.of} branches`,
      );
  }
  const all = [...s.phases, ...s.criticalBatch];
  const count = (state: SwitchPhaseState) => all.filter((p) => p.state === state).length;
  lines.push(
    `${count('done')} done, ${count('running')} running, ${count('waiting')} waiting (of ${all.length})`,
  );
  return `${lines.join('\n')}\n`;
}
