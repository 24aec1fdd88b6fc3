/**
 * A switch study's outcome per arm (src/experiments/switch-config.ts), from its files alone: per
 * seed, the final test accuracy and loss, the Keskar sharpness of the final state (the first
 * configured eps, in the full space), and what the arm cost: optimizer steps, training examples
 * and wall time of training, each counting process 1 in full (with the epochs a rule ran on to
 * decide) and then the arm. Each quantity of each arm is compared with the small-batch control
 * and with the study's fixed switch (its arm of the same B2; a ramp or an arm of a B2 it lacks:
 * its largest), paired by seed: mean difference and 95% Student t interval
 * (src/analysis/paired-interval.ts).
 */
import { pairedInterval, type PairedInterval } from '../analysis/paired-interval';
import { GradscopeFileError } from '../core/errors';
import type { StudySharpness } from '../experiments/records';
import { variantArms, type SwitchStudyConfig } from '../experiments/switch-config';
import { waitingRamps } from '../experiments/switch-runner';
import { readConfigFile } from '../store/config-file';
import {
  noiseScaleRecords,
  readMetrics,
  phaseEnd,
  type EpochRecord,
  type StatusRecord,
} from '../store/metrics';
import { configFile, metricsFile } from '../store/run-paths';
import { readSharpnessRecords } from '../store/sharpness';
import { readCriticalBatch } from '../store/critical-batch';
import { seedDir } from '../store/study-paths';
import { variantDir } from '../store/switch-study-paths';

/** One arm of one seed. */
export interface SwitchOutcome {
  testAccuracy: number;
  testLoss: number;
  /** Keskar sharpness of the final state; NaN when not measured. */
  sharpness: number;
  steps: number;
  examples: number;
  seconds: number;
  /** The batch size of the arm's last epoch (a ramp's grows). */
  finalBatchSize: number;
  /** The epoch process 2 branched from. */
  branchEpoch: number;
}

export interface SwitchArm {
  variant: string;
  phase: string;
  /** variant/phase. */
  name: string;
  /** B2 of a fixed arm. */
  batchSize?: number;
  /** Per seed of the study, in its order; undefined where the arm has not finished (not begun,
   * or stopped part-way: its last epoch is not its outcome). */
  outcomes: (SwitchOutcome | undefined)[];
  /** A ramp waiting for its critical-batch table: the table's file. */
  waitsFor?: string;
}

export type SwitchQuantity =
  'testAccuracy' | 'testLoss' | 'sharpness' | 'steps' | 'examples' | 'seconds';

export const SWITCH_QUANTITIES: SwitchQuantity[] = [
  'testAccuracy',
  'testLoss',
  'sharpness',
  'steps',
  'examples',
  'seconds',
];

export interface SwitchModel {
  runDir: string;
  config: SwitchStudyConfig;
  data: string;
  gradscope: string;
  trainSize: number;
  arms: SwitchArm[];
  /** What the sharpness column is (its eps and space), or undefined when none was measured. */
  sharpnessLabel: string | undefined;
  /** The critical batch size measured per seed (criticalBatch section), where it is done, with
   * the live B_simple of the process 1 it branched from as [epochs of training, B_simple]. */
  criticalBatch: { seed: number; points: CriticalBatchRow[]; noise: [number, number][] }[];
}

/** One checkpoint of a critical-batch measurement, as critical-batch.json gives it. */
export interface CriticalBatchRow {
  epoch: number;
  criticalBatch: number;
  lowerBound: boolean;
  liveNoiseScale?: number;
}

/** The arm of the fixed switch an arm is compared with. */
export function fixedReference(m: Pick<SwitchModel, 'arms' | 'config'>, arm: SwitchArm): SwitchArm {
  const fixed = m.arms.filter((a) => a.variant === m.config.fixedSwitch && a.batchSize);
  const same = fixed.find((a) => a.batchSize === arm.batchSize);
  return same ?? fixed.reduce((a, b) => (b.batchSize! > a.batchSize! ? b : a));
}

export function controlArm(m: Pick<SwitchModel, 'arms' | 'config'>): SwitchArm {
  return m.arms.find((a) => a.name === m.config.control)!;
}

/** The per-seed values of a quantity (NaN where missing), in the seeds' order. */
export function valuesOf(arm: SwitchArm, q: SwitchQuantity): number[] {
  return arm.outcomes.map((o) => (o ? o[q] : NaN));
}

/** The paired interval of arm - reference over seeds, or undefined when they are the same arm. */
export function pairedAgainst(
  arm: SwitchArm,
  reference: SwitchArm,
  q: SwitchQuantity,
): PairedInterval | undefined {
  if (arm.name === reference.name) return undefined;
  return pairedInterval(valuesOf(arm, q), valuesOf(reference, q));
}

function outcome(
  records: ReturnType<typeof readMetrics>,
  phase: string,
  trainSize: number,
  sharpness: StudySharpness | undefined,
): SwitchOutcome | undefined {
  const epochs = (p: string) =>
    records.filter((r): r is EpochRecord => r.kind === 'epoch' && r.phase === p);
  const process1 = epochs('process1');
  const arm = epochs(phase);
  const final = arm[arm.length - 1];
  if (!final || !phaseEnd(records, phase) || process1.length === 0) return undefined;
  const branched = records.find(
    (r): r is StatusRecord =>
      r.kind === 'status' && r.phase === 'process1' && r.status === 'branched',
  );
  const branchEpoch = branched?.branchEpoch ?? process1[process1.length - 1]!.epoch;
  const branchStep = process1.find((e) => e.epoch === branchEpoch)?.step ?? 0;
  const seconds = [...process1, ...arm].reduce((s, e) => s + e.seconds, 0);
  return {
    testAccuracy: final.testAccuracy,
    testLoss: final.testLoss,
    sharpness: sharpness?.keskar[0]?.sharpness ?? NaN,
    steps: process1[process1.length - 1]!.step + final.step - branchStep,
    examples: trainSize * (process1.length + arm.length),
    seconds,
    finalBatchSize: final.batchSize,
    branchEpoch,
  };
}

/** Everything the switch study's report shows, from its run directory. */
export function switchModel(runDir: string): SwitchModel {
  const stored = readConfigFile(runDir);
  const config = stored.switchStudy as SwitchStudyConfig | undefined;
  const trainSize = stored.trainSize;
  if (!config || typeof config !== 'object' || !Array.isArray(config.variants))
    throw new GradscopeFileError(configFile(runDir), 'not a switch study (no "switchStudy" field)');
  if (typeof trainSize !== 'number' || !(trainSize > 0))
    throw new GradscopeFileError(configFile(runDir), 'a switch study without its trainSize');
  const arms: SwitchArm[] = [];
  let sharpnessLabel: string | undefined;
  for (const v of config.variants) {
    const dir = variantDir(runDir, v.name);
    const sharpness = readSharpnessRecords<StudySharpness>(dir);
    const k = sharpness[0]?.keskar[0];
    if (k && !sharpnessLabel)
      sharpnessLabel = `Keskar sharpness (eps ${k.eps}, ${k.space === 'full' ? 'full space' : `subspace p = ${k.dimension}`})`;
    const waiting = new Map(waitingRamps(v).map((w) => [w.phase, w.table]));
    const records = config.seeds.map((seed) => readMetrics(metricsFile(seedDir(dir, seed))));
    for (const phase of variantArms(v)) {
      const b = /^arm-(\d+)$/.exec(phase);
      arms.push({
        variant: v.name,
        phase,
        name: `${v.name}/${phase}`,
        ...(b ? { batchSize: Number(b[1]) } : {}),
        outcomes: config.seeds.map((seed, i) =>
          outcome(
            records[i]!,
            phase,
            trainSize,
            sharpness.find((s) => s.seed === seed && s.phase === phase),
          ),
        ),
        ...(waiting.has(phase) ? { waitsFor: waiting.get(phase)! } : {}),
      });
    }
  }
  const criticalBatch: SwitchModel['criticalBatch'] = [];
  if (config.criticalBatch)
    for (const seed of config.seeds) {
      const from = seedDir(variantDir(runDir, config.criticalBatch.from), seed);
      const stored = readCriticalBatch(from);
      const points = stored?.points;
      if (Array.isArray(points))
        criticalBatch.push({
          seed,
          noise: noiseScaleRecords(readMetrics(metricsFile(from)), 'process1').map(
            (r): [number, number] => [r.atEpoch, r.simpleNoiseScale],
          ),
          points: points.map((p: Record<string, unknown>) => ({
            epoch: Number(p.epoch),
            criticalBatch: Number(p.criticalBatch),
            lowerBound: p.lowerBound === true,
            ...(typeof p.liveNoiseScale === 'number' ? { liveNoiseScale: p.liveNoiseScale } : {}),
          })),
        });
    }
  return {
    runDir,
    config,
    criticalBatch,
    data: String(stored.data ?? ''),
    gradscope: String(stored.gradscope ?? ''),
    trainSize,
    arms,
    sharpnessLabel,
  };
}
