/**
 * The uncertainty of Experiment B's B_simple from its K draws (docs/mathematics.md, "The
 * gradient noise scale during training", "Its uncertainty"). Experiment B's
 *
 *   tr(F)^ = mean over B of B mean_k |g_{B,k} - g_train|^2 / (1 - B/M)
 *          = mean_k t_k,   t_k = mean over B of B |g_{B,k} - g_train|^2 / (1 - B/M),
 *
 * a mean of K values t_k that are independent across k (draw k of every B is its own uniform
 * sample, nested or not), so its standard error is sd(t_k) / sqrt(K); g_train is exact (one
 * pass over the training set), so B_simple = tr(F)^ / |g_train|^2 has the standard error
 * sd(t_k) / (sqrt(K) |g_train|^2). Distances are stored in units of d, which cancels.
 */
import type { GradientAnalysis } from './gradient-distribution';

export interface DrawNoiseInterval {
  /** tr(F)^ / |g_train|^2, as the analysis computed it (up to rounding). */
  simpleNoiseScale: number;
  /** Its standard error over the K draws; undefined for K < 2. */
  standardError: number | undefined;
  draws: number;
}

/**
 * Experiment B's B_simple at a point and its standard error over the draws.
 */
export function drawNoiseInterval(
  a: Pick<GradientAnalysis, 'batchSizes' | 'trainSize' | 'gTrainNorm'>,
): DrawNoiseInterval {
  const m = a.trainSize;
  const draws = Math.min(...a.batchSizes.map((b) => b.draws.length));
  const t: number[] = [];
  for (let k = 0; k < draws; k++)
    t.push(
      a.batchSizes.reduce(
        (s, b) => s + (b.batchSize * b.draws[k]!.toTrain ** 2) / (1 - b.batchSize / m),
        0,
      ) / a.batchSizes.length,
    );
  const mean = t.reduce((s, x) => s + x, 0) / draws;
  const scale = a.gTrainNorm ** 2;
  if (draws < 2) return { simpleNoiseScale: mean / scale, standardError: undefined, draws };
  const sd = Math.sqrt(t.reduce((s, x) => s + (x - mean) ** 2, 0) / (draws - 1));
  return { simpleNoiseScale: mean / scale, standardError: sd / Math.sqrt(draws) / scale, draws };
}
