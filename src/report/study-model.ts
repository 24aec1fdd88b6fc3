/**
 * Everything the report shows, gathered from the files of a run directory (and
 * nothing else, so `gradscope report <run-dir>` rebuilds it at any time): the
 * config, per-epoch metrics of every seed and phase, the live noise scale, Experiment B's points,
 * Experiment A's lines, sharpness, training trajectories, timings. Written beside the report as
 * report.json, the numbers the HTML tables print.
 */
import type { CriticalBatchResult } from '../analysis/critical-batch';
import type { GradientAnalysis } from '../analysis/gradient-distribution';
import type { LineResult } from '../analysis/loss-line';
import type { TrajectoryResult } from '../analysis/trajectory';
import { GradscopeFileError } from '../core/errors';
import type { StudyConfig } from '../experiments/config';
import {
  readStudySharpness,
  type AnalysisPoint,
  type StudyLine,
  type StudySharpness,
  type StudyTrajectoryRecord,
} from '../experiments/records';
import { readAnalysisPoints } from '../store/analysis-points';
import { criticalBatchFile, readCriticalBatch } from '../store/critical-batch';
import { holdsRun, readStudyConfigFile } from '../store/config-file';
import { readStudyLines } from '../store/lines';
import { configFile, metricsFile } from '../store/run-paths';
import { seedDir } from '../store/study-paths';
import { readStudyTrajectories } from '../store/trajectories';
import {
  readMetrics,
  type EpochRecord,
  type MetricsRecord,
  type NoiseScaleRecord,
  type StatusRecord,
} from '../store/metrics';

export interface Spread {
  mean: number;
  std: number;
  values: number[];
}

export interface SummaryRow {
  phase: string;
  label: string;
  epoch: number;
  status: string;
  trainLoss: Spread;
  trainAccuracy: Spread;
  testLoss: Spread;
  testAccuracy: Spread;
}

export interface StudyModel {
  runDir: string;
  name: string;
  scale: string;
  gradscope: string;
  data: string;
  /** Token data (a language model's study): loss and accuracy are per token. */
  tokens: boolean;
  config: StudyConfig;
  seeds: number[];
  phases: string[];
  summary: SummaryRow[];
  epochs: (EpochRecord & { seed: number })[];
  statuses: (StatusRecord & { seed: number })[];
  /** The live gradient noise scale's measurements, phase by phase. */
  noiseScale: (NoiseScaleRecord & { seed: number })[];
  analysis: { seed: number; phase: string; epoch: number; result: GradientAnalysis }[];
  lines: (LineResult & { seed: number })[];
  sharpness: StudySharpness[];
  /** Process 1 and every arm in one PCA plane, per seed (trajectories/seed-<s>.json). */
  trajectories: (TrajectoryResult & { seed: number })[];
  timings: { seed: number; phase: string; trainingSeconds: number; analysisSeconds: number }[];
  /** `analyze critical-batch` of a seed's run directory, where it ran. */
  criticalBatch: { seed: number; result: CriticalBatchResult }[];
}

export function spread(values: number[]): Spread {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std =
    values.length > 1
      ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1))
      : 0;
  return { mean, std, values };
}

export function phaseLabel(phase: string, arms: number[]): string {
  if (phase === 'process1') return 'process 1 (B1, until the branch)';
  const b = Number(phase.replace('arm-', ''));
  return b === arms[0] ? `B2 = ${b} (small-batch control)` : `B2 = ${b} (piggybacked)`;
}

export function studyModel(runDir: string): StudyModel {
  if (!holdsRun(runDir))
    throw new GradscopeFileError(runDir, 'not a gradscope study run (no config.json)');
  const stored = readStudyConfigFile<StudyConfig>(runDir);
  const config = stored.study;
  if (!config)
    throw new GradscopeFileError(configFile(runDir), 'not a study config (no "study" field)');
  const arms = config.process2.arms;
  const phases = ['process1', ...arms.map((b) => `arm-${b}`)];
  const epochs: StudyModel['epochs'] = [];
  const statuses: StudyModel['statuses'] = [];
  const noiseScale: StudyModel['noiseScale'] = [];
  const analysis: StudyModel['analysis'] = [];
  const timings: StudyModel['timings'] = [];
  const criticalBatch: StudyModel['criticalBatch'] = [];
  for (const seed of config.seeds) {
    const seedRun = seedDir(runDir, seed);
    // phase by phase: arms run in parallel (pieces of a study) interleave their lines
    const rank = (r: MetricsRecord) => {
      const i = phases.indexOf(String((r as { phase?: unknown }).phase));
      return i < 0 ? phases.length : i;
    };
    const records = readMetrics(metricsFile(seedRun)).sort((a, b) => rank(a) - rank(b));
    for (const r of records) {
      if (r.kind === 'epoch') epochs.push({ ...(r as EpochRecord), seed });
      if (r.kind === 'status') statuses.push({ ...(r as StatusRecord), seed });
      if (r.kind === 'noise-scale') noiseScale.push({ ...(r as NoiseScaleRecord), seed });
    }
    const critical = readCriticalBatch(seedRun);
    if (critical) criticalBatch.push({ seed, result: checkedCriticalBatch(seedRun, critical) });
    for (const a of readAnalysisPoints<AnalysisPoint>(seedRun))
      analysis.push({ seed, phase: a.phase, epoch: a.epoch, result: a });
    for (const phase of phases) {
      const trainingSeconds = epochs
        .filter((e) => e.seed === seed && e.phase === phase)
        .reduce((s, e) => s + e.seconds, 0);
      const analysisSeconds = analysis
        .filter((a) => a.seed === seed && a.phase === phase)
        .reduce((s, a) => s + a.result.seconds, 0);
      timings.push({ seed, phase, trainingSeconds, analysisSeconds });
    }
  }
  analysis.sort(
    (a, b) =>
      a.seed - b.seed || phases.indexOf(a.phase) - phases.indexOf(b.phase) || a.epoch - b.epoch,
  );

  const summary: SummaryRow[] = [];
  for (const phase of phases) {
    const finals = config.seeds
      .map((seed) => epochs.filter((e) => e.seed === seed && e.phase === phase).pop())
      .filter((e): e is StudyModel['epochs'][number] => e !== undefined);
    if (finals.length === 0) continue;
    const status = statuses
      .filter((s) => s.phase === phase && s.status !== 'branched')
      .map((s) => s.status);
    summary.push({
      phase,
      label: phaseLabel(phase, arms),
      epoch: finals[0]!.epoch,
      status: [...new Set(status)].join(', ') || 'running',
      trainLoss: spread(finals.map((e) => e.trainLoss)),
      trainAccuracy: spread(finals.map((e) => e.trainAccuracy)),
      testLoss: spread(finals.map((e) => e.testLoss)),
      testAccuracy: spread(finals.map((e) => e.testAccuracy)),
    });
  }
  return {
    runDir,
    name: config.name,
    scale: config.scale,
    gradscope: stored.gradscope!,
    data: stored.data!,
    tokens: stored.tokeniser !== undefined || stored.vocabulary !== undefined,
    config,
    seeds: config.seeds,
    phases,
    summary,
    epochs,
    statuses,
    noiseScale,
    analysis,
    lines: readStudyLines<StudyLine>(runDir),
    sharpness: readStudySharpness(runDir),
    trajectories: readStudyTrajectories<StudyTrajectoryRecord>(runDir),
    timings,
    criticalBatch,
  };
}

/** A seed's critical-batch.json as the report reads it: points with a number each and the
 * grid; anything else is named, never drawn. */
function checkedCriticalBatch(
  seedRun: string,
  value: Record<string, unknown>,
): CriticalBatchResult {
  const r = value as unknown as CriticalBatchResult;
  const ok =
    Array.isArray(r.points) &&
    Array.isArray(r.batchSizes) &&
    r.points.every(
      (p) =>
        typeof p === 'object' &&
        p !== null &&
        Number.isFinite(p.epoch) &&
        Number.isFinite(p.criticalBatch) &&
        Array.isArray(p.branches),
    );
  if (!ok)
    throw new GradscopeFileError(
      criticalBatchFile(seedRun),
      "a critical-batch result without its points: damaged or not gradscope's",
    );
  return r;
}
