/**
 * The gradient noise scale, live during training (docs/mathematics.md, "The gradient noise
 * scale during training"): pure functions of the few float64 numbers one measurement returns.
 *
 * A step's batch (or its first m examples) of k b examples in k chunks of b, g_j the mean
 * gradient of chunk j, in `population` mode; big = k b, n the training set's size. Where every
 * parametrised layer is Linear or batch norm the chunks are single examples (b = 1, k = big:
 * per-example norms, src/engine/example-norms.ts), elsewhere k = 4 (train/live-noise-scale.ts):
 *   |G_big|^2   = |mean_j g_j|^2,   |G_small|^2 = mean_j |g_j|^2
 *   tr(Sigma)   = (|G_small|^2 - |G_big|^2) / (1/b - 1/big)          (= b x the chunks' variance)
 *   |G|^2       = (big |G_big|^2 - b |G_small|^2) / (big - b) + tr(Sigma) / n
 * (McCandlish et al. 2018, appendix A, and the finite-population term of sampling without
 * replacement, with Sigma's divisor n - 1 as Experiment B's F), each unbiased for one
 * measurement. The average is scale-free: each measurement's two estimates are divided by its
 * own s_j = |G_small|^2 > 0 (= |G|^2_j + (1/b - 1/n) tr(Sigma)_j), so that it weighs by its
 * moving-average weight alone, however large its gradients, and
 *   x_j = tr(Sigma)_j / s_j,   y_j = |G|^2_j / s_j
 * enter moving averages with weight (1 - 1/L)^N on the previous average for a measurement
 * every N steps (L = EMA_STEPS):
 *   B_simple = EMA(x) / EMA(y)
 *   norm test = (1/B - 1/n) B_simple                      (Byrd et al. 2012; B the step's batch)
 * (A ratio of the plain averages, EMA(tr Sigma) / EMA(|G|^2), as McCandlish et al. take it and
 * gradscope did before, freezes where both fall faster than the average forgets: the averages
 * are then the decayed sums of the same old, large measurements.)
 */

/**
 * The default interval N in optimizer steps. Chosen for the chunk measurement (k = 4 on F1 at
 * B = 256 cost 2.4 training steps on a 2-core Xeon, 3 to 3.9 on a 2-core AMD EPYC, where N = 64
 * cost 4.4% and 6.1% of an epoch in two `gradscope bench` runs); the per-example measurement
 * that F1 now takes costs about 1 step (15 ms against a 13-15 ms step on the AMD EPYC), and
 * `gradscope bench` read 1.009x and 0.989x at N = 128 with it (1.077x and 1.046x with the
 * chunks): under the 5% bound, kept for the networks measured in chunks.
 */
export const DEFAULT_NOISE_SCALE_EVERY = 128;

/** Chunks k of a step's batch (fewer when the batch has fewer examples). */
export const NOISE_SCALE_CHUNKS = 4;

/** The moving average's length L in optimizer steps (the span of 5 measurements at the default N, 10 at N = 64). */
export const EMA_STEPS = 640;

/** What one measurement returns: the two squared norms and the chunking. */
export interface ChunkNorms {
  /** |G_big|^2: the squared norm of the mean of the chunks' gradients. */
  bigSquared: number;
  /** |G_small|^2: the mean of the chunks' squared norms. */
  smallSquared: number;
  chunks: number;
  /** b, examples per chunk. */
  chunkSize: number;
}

export interface NoiseEstimate {
  /** Unbiased estimates of |G|^2 and tr(Sigma) from one measurement. */
  gradientSquared: number;
  trace: number;
  /** s = |G_small|^2, the measurement's own positive scale that the average divides by. */
  scale: number;
}

/** Which moving average a checkpoint or record holds: only the scale-free one is kept now
 * (records and checkpoints without the field hold the ratio of the plain averages). */
export const SCALE_FREE = 'scale-free';

/**
 * The moving averages of the normalised estimates y_j = |G|^2_j / s_j and x_j = tr(Sigma)_j /
 * s_j (unnormalised by their weight), and the total weight they carry (Adam's correction).
 */
export interface NoiseAverages {
  average: typeof SCALE_FREE;
  gradientSquared: number;
  trace: number;
  weight: number;
}

export const NO_AVERAGES: NoiseAverages = {
  average: SCALE_FREE,
  gradientSquared: 0,
  trace: 0,
  weight: 0,
};

/** Whether `averages` (as read from a checkpoint) are the scale-free kind this code keeps. */
export function isScaleFree(averages: unknown): averages is NoiseAverages {
  return (
    typeof averages === 'object' &&
    averages !== null &&
    (averages as { average?: unknown }).average === SCALE_FREE
  );
}

/** The chunking of a batch of `examples`: k = min(chunks, examples), b = floor(examples / k). */
export function chunking(
  examples: number,
  chunks = NOISE_SCALE_CHUNKS,
): { chunks: number; chunkSize: number } | undefined {
  const k = Math.min(chunks, examples);
  if (k < 2) return undefined;
  return { chunks: k, chunkSize: Math.floor(examples / k) };
}

/** McCandlish's two-batch-size estimates, with the finite-population term for n examples. */
export function noiseEstimate(m: ChunkNorms, population: number): NoiseEstimate {
  const small = m.chunkSize;
  const big = m.chunks * m.chunkSize;
  const trace = (m.smallSquared - m.bigSquared) / (1 / small - 1 / big);
  const gradientSquared =
    (big * m.bigSquared - small * m.smallSquared) / (big - small) + trace / population;
  return { gradientSquared, trace, scale: m.smallSquared };
}

/**
 * The averages after one more measurement, `every` steps after the last: its estimates divided
 * by its own scale s, so each measurement weighs by (1 - keep) keep^age alone. A measurement
 * whose scale is not positive (every chunk gradient 0) carries nothing and leaves them as
 * they were.
 */
export function updateAverages(
  previous: NoiseAverages,
  estimate: NoiseEstimate,
  every: number,
  length = EMA_STEPS,
): NoiseAverages {
  const s = estimate.scale;
  if (!(s > 0) || !Number.isFinite(s)) return previous;
  const keep = Math.pow(1 - 1 / length, every);
  return {
    average: SCALE_FREE,
    gradientSquared: keep * previous.gradientSquared + ((1 - keep) * estimate.gradientSquared) / s,
    trace: keep * previous.trace + ((1 - keep) * estimate.trace) / s,
    weight: keep * previous.weight + (1 - keep),
  };
}

/** B_simple of the averages, EMA(x) / EMA(y) (their common weight cancels). */
export function simpleNoiseScale(a: NoiseAverages): number {
  return a.trace / a.gradientSquared;
}

/** The norm test's ratio E|g_B - G|^2 / |G|^2 for a batch of B of n examples. */
export function normTestRatio(a: NoiseAverages, batchSize: number, population: number): number {
  return (1 / batchSize - 1 / population) * simpleNoiseScale(a);
}
