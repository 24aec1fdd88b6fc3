/**
 * When a training run performs Experiment B (docs/mathematics.md "Analysis points"): every
 * `every` epochs of process 1 (or of a plain run) with its batch sizes, and every
 * `armEvery` epochs of each arm of process 2 with the arms' batch sizes; K draws
 * each, in the given bn mode. Each point writes analysis/<phase>-epoch-<n>.json,
 * a line in metrics.jsonl and its scalars and histograms to TensorBoard. The thesis'
 * schedule is the analysis section of configs/thesis.yaml (thesisStudy in config.ts).
 */
import * as path from 'path';
import {
  analyzeGradients,
  DEFAULT_GRADIENT_ANALYSIS,
  drawExamples,
  type BatchSizeResult,
  type GradientAnalysis,
} from '../analysis/gradient-distribution';
import { groupsOf } from '../analysis/layer-blocks';
import { parseByteSize } from '../core/byte-size';
import { expected, isPositiveInteger } from '../core/errors';
import { checkCount, checkListLength, LIMITS } from '../engine/limits';
import type { Network } from '../engine/network';
import { writeAnalysisPoint } from '../store/analysis-points';
import { appendMetrics } from '../store/metrics';
import type { Progress } from '../train/progress';
import { histogramProto, type HistogramProto } from '../train/tensorboard';
import type { PhaseContext } from '../train/phase';

export interface AnalysisSchedule {
  every: number;
  batchSizes: number[];
  armEvery: number;
  armBatchSizes: number[];
  samples: number;
  mode: 'population' | 'batch';
  ghostBatch: number;
  /** Experiment B's draws: independent per B (default) or nested prefixes of one batch. */
  draws?: 'independent' | 'nested';
  /** Also the per-layer view of each point (layer-blocks.ts). */
  layers?: boolean;
  /** Population mode: memory for the training examples' layer signals ("2G", or bytes; 0:
   * off); default half the machine's free memory, used where the draws take at least half
   * the training set's examples (src/analysis/gradient-distribution.ts). */
  signalMemory?: number | string;
}

export function checkAnalysisSchedule(a: AnalysisSchedule, option = 'analysis'): void {
  checkCount(a.every, LIMITS.epochs, `${option}.every`);
  checkCount(a.armEvery, LIMITS.epochs, `${option}.armEvery`);
  checkCount(a.samples, LIMITS.samples, `${option}.samples`);
  checkCount(a.ghostBatch, LIMITS.batchSize, `${option}.ghostBatch`);
  for (const key of ['batchSizes', 'armBatchSizes'] as const) {
    checkListLength(a[key], LIMITS.listLength, `${option}.${key}`);
    if (!Array.isArray(a[key]) || a[key].length === 0 || !a[key].every(isPositiveInteger))
      throw expected('a non-empty list of positive integers', `${option}.${key}`, a[key]);
    for (const b of a[key]) checkCount(b, LIMITS.batchSize, `${option}.${key}`);
  }
  if (a.mode !== 'population' && a.mode !== 'batch')
    throw expected('"population" or "batch"', `${option}.mode`, a.mode);
  if (a.draws !== undefined && a.draws !== 'independent' && a.draws !== 'nested')
    throw expected('"independent" or "nested"', `${option}.draws`, a.draws);
  if (a.layers !== undefined && typeof a.layers !== 'boolean')
    throw expected('true or false', `${option}.layers`, a.layers);
  if (a.signalMemory !== undefined) parseByteSize(a.signalMemory, `${option}.signalMemory`);
}

/** |g_B - g_total|/d over the K draws of one B, in the report's 0.5 d bins. */
export function toTotalHistogram(b: BatchSizeResult): HistogramProto {
  // the regular bins' labels are "[low, high)"; the last bin is the overflow ">= cap"
  const edges = b.histogramToTotal.bins
    .slice(0, -1)
    .map((label) => Number(label.slice(label.indexOf(',') + 1, -1)));
  return histogramProto(
    b.draws.map((d) => d.toTotal),
    [...edges, Number.MAX_VALUE],
    b.histogramToTotal.counts,
  );
}

/** For runTraining's `afterEpoch`: the hook each phase calls after each epoch. */
export function analysisHook(
  schedule: AnalysisSchedule,
  seed: number,
  progress: Progress,
): (
  context: PhaseContext,
) => (record: { phase: string; epoch: number }, network: Network) => Promise<void> {
  return ({ inArm, runDir, metricsFile, data, events }) => {
    const every = inArm ? schedule.armEvery : schedule.every;
    const batchSizes = (inArm ? schedule.armBatchSizes : schedule.batchSizes).filter(
      (b) => b <= data.train.size,
    );
    return async (record, network) => {
      if (record.epoch % every !== 0 || batchSizes.length === 0) return;
      const draws = schedule.draws ?? 'independent';
      const total = drawExamples({ ...schedule, batchSizes, draws });
      let done = 0;
      const result: GradientAnalysis = await analyzeGradients(network, data, {
        ...DEFAULT_GRADIENT_ANALYSIS,
        batchSizes,
        samples: schedule.samples,
        mode: schedule.mode,
        ghostBatch: schedule.ghostBatch,
        draws,
        ...(schedule.layers ? { groups: groupsOf(network) } : {}),
        ...(schedule.signalMemory === undefined
          ? {}
          : { signalMemory: parseByteSize(schedule.signalMemory, 'analysis.signalMemory') }),
        seed,
        purpose: `${record.phase}-epoch-${record.epoch}`,
        onNote: (line) => progress.line(line),
        onDraw: (_b, _k, examples) =>
          progress.work(
            `${record.phase} epoch ${record.epoch} Experiment B`,
            (done += examples),
            total,
          ),
      });
      const file = writeAnalysisPoint(runDir, {
        phase: record.phase,
        epoch: record.epoch,
        ...result,
      });
      appendMetrics(metricsFile, {
        kind: 'analysis',
        analysis: 'gradients',
        phase: record.phase,
        epoch: record.epoch,
        file: path.relative(runDir, file),
        d: result.d,
        traceF: result.traceF,
        bSimple: result.bSimple,
        seconds: result.seconds,
      });
      events.scalars(record.phase, record.epoch, {
        'gradients/d': result.d,
        'gradients/g_train_over_d': result.gTrainNorm,
        'gradients/g_total_over_d': result.gTotalNorm,
        'gradients/trace_F': result.traceF,
        'gradients/B_simple': result.bSimple,
      });
      events.histograms(
        record.phase,
        record.epoch,
        Object.fromEntries(
          result.batchSizes.map((b) => [
            `gradients/g_B_minus_g_total_over_d/B=${b.batchSize}`,
            toTotalHistogram(b),
          ]),
        ),
      );
      progress.line(
        `${record.phase} epoch ${record.epoch}: Experiment B at B ${batchSizes.join(', ')}, K ${schedule.samples} (${draws} draws): d = ${result.d.toExponential(3)}, ${result.seconds.toFixed(1)} s`,
      );
    };
  };
}
