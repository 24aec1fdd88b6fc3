/**
 * Experiment B (docs/mathematics.md): where the mini-batch gradients of each size lie relative
 * to the full training gradient g_train and the total-data gradient g_total, at
 * one state w of a network.
 *
 * 1. g_train and g_test over the whole sets; g_total = (M g_train + M' g_test) / (M + M');
 *    d = |g_train - g_total|; |g_train|/d, |g_test|/d, |g_total|/d, cos(g_train, g_total).
 * 2. For each B, K draws of B distinct training examples, uniform without replacement:
 *    |g_B - g_train|/d, |g_B - g_total|/d, |g_B|/d, cos(g_B, g_total). Draws are either
 *    `independent` (draw k of B is uniformBatch(seed, purpose, B, k, M): every B its own
 *    batches) or `nested`: draw k is one batch of the largest B, uniformBatch(seed, purpose,
 *    B_max, k, M), an ordered uniform B_max-subset, and each smaller B takes its first B
 *    elements, itself an ordered uniform B-subset: each B's marginal law is unchanged while
 *    one pass serves all B. In population mode g_B is the mean of per-example gradients, so
 *    the prefixes accumulate segment by segment,
 *      B_j g_{B_j} = B_{j-1} g_{B_{j-1}} + (B_j - B_{j-1}) g_{segment j},
 *    and a draw costs B_max examples instead of sum_j B_j (1.65x less for 256, 1000, 2000,
 *    5000). In batch mode each prefix is its own pass (batch statistics are not additive).
 *    The largest B's draws are the same in both schemes. Draws of different B are
 *    dependent in the nested scheme, so compare them by their marginals only.
 * 3. Histograms of the two distances in bins of 0.5 d up to `cap`, an overflow bin;
 *    mean, median, min, max; Smith and Le's B E|g_B - g_train|^2 / (1 - B/M) per B
 *    and the tr(F) it estimates; B_simple = tr(F) / |g_train|^2.
 *
 * Modes: `population` (batch norm on running statistics: every g is an exact mean of
 * per-example gradients, evaluated in chunks) or `batch` (batch statistics: g_B in
 * one pass of its B examples; whole-set gradients as the size-weighted mean over
 * ghost batches of `ghostBatch` examples).
 *
 * In population mode, when they fit in `signalMemory`, the pass that computes g_train also keeps
 * every training example's layer signals (src/engine/layer-signals.ts), and each draw's g_B (or
 * nested segment's) is built from its examples' rows instead of a forward and backward pass:
 * the same numbers up to float rounding (docs/mathematics.md, "Experiment B from layer
 * signals"). Otherwise, and in batch mode (whose batch statistics couple a batch's examples),
 * every draw recomputes its examples; with the default budget also where the draws take fewer
 * than half as many examples as the training set, whose signals' pass then costs more than it
 * saves (docs/mathematics.md, "When the signals pay"). When the whole set's signals do not fit but one block's
 * do, beside a float64 sum per draw piece, the g_train pass keeps them a block at a time and
 * builds every piece's sum as it goes (signal-blocks.ts); then the draws are measured.
 */
import { uniformBatch } from '../data/sampler';
import type { StudyData } from '../data/load';
import { expected, GradscopeInputError, isPositiveInteger } from '../core/errors';
import type { Network } from '../engine/network';
import {
  DeviceVector,
  measureGradient,
  measureVector,
  type DrawMeasures,
} from '../engine/device-vector';
import { formatByteSize } from '../core/byte-size';
import type { Dataset } from '../engine/dataset';
import {
  activationBytes,
  defaultSignalMemory,
  LayerSignals,
  signalBytes,
  withoutLayerSignals,
} from '../engine/layer-signals';
import { throwIfStopped } from '../train/stop';
import type { ParameterGroup } from './layer-blocks';
import {
  blockedPieceSums,
  drawSumBytes,
  passChunk,
  signalBlocks,
  type SignalBlocks,
} from './signal-blocks';
import {
  histogram,
  smithTraceEstimate,
  summarise,
  type Histogram,
  type Summary,
} from './gradient-statistics';

/**
 * What Experiment B draws: the batch sizes B, the draws per B (`samples`), batch norm's mode,
 * independent or nested batches, and the seed and `purpose` that name the draws' random stream.
 *
 * @example
 * ```ts
 * import { DEFAULT_GRADIENT_ANALYSIS, type GradientAnalysisOptions } from 'gradscope';
 * const options: GradientAnalysisOptions = {
 *   ...DEFAULT_GRADIENT_ANALYSIS,
 *   batchSizes: [256, 1000, 2000, 5000],
 *   samples: 20,
 *   draws: 'nested', // one batch of 5000 per draw, its prefixes the smaller batches
 *   purpose: 'process1-epoch-10',
 * };
 * console.log(options);
 * ```
 */
export interface GradientAnalysisOptions {
  batchSizes: number[];
  samples: number;
  mode: 'population' | 'batch';
  /** Whole-set gradients in `batch` mode: the ghost-batch size. */
  ghostBatch: number;
  /** Examples per forward pass in `population` mode (changes memory, not results); beside
   * layer signals, their pass and g_test's take a quarter of it at a time (signal-blocks.ts). */
  chunk: number;
  seed: number;
  /** Names the draws' random stream, e.g. "process1-epoch-10". */
  purpose: string;
  /** Histogram cap in units of d. */
  cap: number;
  /** Independent batches per B, or one batch of the largest B per draw, shared as prefixes. */
  draws: 'independent' | 'nested';
  /** Parameter groups for the per-layer view (layer-blocks.ts); none: no per-layer view. */
  groups?: ParameterGroup[];
  /** Population mode: the bytes the training examples' layer signals may take, or one block of
   * them with a float64 sum per draw piece (0: never keep them; every draw recomputes its
   * examples); default: half the machine's free memory, and the signals kept only where the
   * draws take at least half as many examples as the training set (fewer recompute, for less). */
  signalMemory?: number;
  /** Population mode: keep the layer signals in blocks of this many examples, one at a time,
   * within signalMemory; default: the whole training set when its signals fit, otherwise
   * blocks of `chunk` examples (signal-blocks.ts). */
  signalBlock?: number;
  /** One line when population-mode draws cannot use layer signals, saying why, or keep them in
   * blocks (a log line). */
  onNote?: (line: string) => void;
  /** Called after each draw of each B (progress), with the examples that draw cost. */
  onDraw?: (batchSize: number, draw: number, examples: number) => void;
}

/**
 * Experiment B's defaults of every option but the batch sizes (the thesis': its arms,
 * configs/thesis.yaml) and the purpose, which a call adds.
 *
 * @example
 * ```ts
 * import { DEFAULT_GRADIENT_ANALYSIS } from 'gradscope';
 * console.log(DEFAULT_GRADIENT_ANALYSIS.samples, DEFAULT_GRADIENT_ANALYSIS.mode);
 * ```
 */
export const DEFAULT_GRADIENT_ANALYSIS: Omit<GradientAnalysisOptions, 'purpose' | 'batchSizes'> = {
  samples: 100,
  mode: 'population',
  ghostBatch: 5000,
  chunk: 5000,
  seed: 0,
  cap: 10,
  draws: 'independent',
};

/** The training examples the draws of an analysis cost: sum_B B K, or B_max K when nested
 * in population mode. */
export function drawExamples(
  o: Pick<GradientAnalysisOptions, 'batchSizes' | 'samples' | 'draws' | 'mode'>,
): number {
  const sizes = [...new Set(o.batchSizes)];
  const perDraw =
    o.draws === 'nested' && o.mode === 'population'
      ? Math.max(...sizes)
      : sizes.reduce((s, b) => s + b, 0);
  return perDraw * o.samples;
}

export interface Draw {
  draw: number;
  /** In units of d. */
  toTrain: number;
  toTotal: number;
  norm: number;
  cosTotal: number;
  /** The first indices of the batch, to recognise it. */
  firstIndices: number[];
}

export interface BatchSizeResult {
  batchSize: number;
  draws: Draw[];
  toTrain: Summary;
  toTotal: Summary;
  norm: Summary;
  cosTotal: Summary;
  histogramToTrain: Histogram;
  histogramToTotal: Histogram;
  /** B E|g_B - g_train|^2 / (1 - B/M), in absolute units. */
  smithTrace: number;
}

/**
 * Experiment B's result: |g_train|, |g_test|, |g_total| and, per batch size, the distances
 * |g_B - g_train| and |g_B - g_total| of every draw, in units of d, with the noise scale B_simple.
 *
 * @example
 * ```ts
 * import {
 *   analyzeGradients,
 *   DEFAULT_GRADIENT_ANALYSIS,
 *   loadData,
 *   Network,
 *   networkSpec,
 *   type GradientAnalysis,
 * } from 'gradscope';
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const b: GradientAnalysis = await analyzeGradients(network, loadData('mnist'), {
 *   ...DEFAULT_GRADIENT_ANALYSIS,
 *   batchSizes: [256, 5000],
 *   purpose: 'init',
 * });
 * for (const r of b.batchSizes) console.log(r.batchSize, r.toTrain.mean, r.toTotal.mean);
 * ```
 */
export interface GradientAnalysis {
  kind: 'gradient-distribution';
  mode: 'population' | 'batch';
  ghostBatch: number | null;
  trainSize: number;
  testSize: number;
  samples: number;
  draws: 'independent' | 'nested';
  sampling: { seed: number; purpose: string; method: string };
  d: number;
  gTrainNorm: number;
  gTestNorm: number;
  gTotalNorm: number;
  cosTrainTotal: number;
  trainLoss: number;
  testLoss: number;
  batchSizes: BatchSizeResult[];
  /** Mean of the per-B Smith estimates. */
  traceF: number;
  /** McCandlish et al.'s simple noise scale, tr(F) / |g_train|^2. */
  bSimple: number;
  /** Per parameter group (layer-blocks.ts), when asked for. */
  layers?: LayerNoise[];
  /** Bytes of the layer signals the draws were built from (in blocks: one block's); null: each draw recomputed its
   * examples (batch mode, a TorchScript module, a language model, or signals over the memory
   * allowed). */
  signalBytes?: number | null;
  /** The blocks the training set's signals were kept in, one at a time (signal-blocks.ts): 1
   * when they were all kept at once; null when each draw recomputed its examples. */
  signalBlocks?: number | null;
  seconds: number;
  examplesPerSecond: number;
}

export interface LayerNoise {
  group: string;
  size: number;
  /** |g_train,g| / d. */
  gTrainNorm: number;
  /** Mean over the draws of |g_B,g - g_train,g| / d, per B (in batchSizes order). */
  meanToTrain: { batchSize: number; mean: number }[];
  /** Mean over B of B E|g_B,g - g_train,g|^2 / (1 - B/M), absolute units. */
  traceF: number;
  /** tr(F_g) / |g_train,g|^2. */
  bSimple: number;
}

export function checkGradientOptions(o: GradientAnalysisOptions, trainSize: number): void {
  if (!Array.isArray(o.batchSizes) || o.batchSizes.length === 0)
    throw expected('a non-empty list of batch sizes', 'batch sizes', o.batchSizes);
  for (const b of o.batchSizes) {
    if (!isPositiveInteger(b)) throw expected('positive integers', 'batch sizes', o.batchSizes);
    if (b > trainSize)
      throw new GradscopeInputError(
        `batch size ${b} is larger than the training set (${trainSize} examples)`,
      );
  }
  if (!isPositiveInteger(o.samples))
    throw expected('an integer of at least 1', 'samples', o.samples);
  if (o.mode !== 'population' && o.mode !== 'batch')
    throw expected('"population" or "batch"', 'bn', o.mode);
  if (!isPositiveInteger(o.ghostBatch))
    throw expected('a positive integer', 'ghost batch', o.ghostBatch);
  if (!isPositiveInteger(o.chunk)) throw expected('a positive integer', 'chunk', o.chunk);
  if (o.draws !== 'independent' && o.draws !== 'nested')
    throw expected('"independent" or "nested"', 'draws', o.draws);
  if (typeof o.cap !== 'number' || !(o.cap > 0) || (o.cap * 2) % 1 !== 0)
    throw expected('a positive multiple of 0.5', 'cap', o.cap);
  if (
    o.signalMemory !== undefined &&
    (!Number.isSafeInteger(o.signalMemory) || (o.signalMemory as number) < 0)
  )
    throw expected('a non-negative number of bytes', 'signal memory', o.signalMemory);
  if (o.signalBlock !== undefined && !isPositiveInteger(o.signalBlock))
    throw expected('a positive integer', 'signal block', o.signalBlock);
}

/** A draw's piece: the examples it adds to the draw's sum at `batchSize` (a nested draw's
 * segment, extending the sum at the B before it; otherwise the whole batch), and the batch. */
interface DrawPiece {
  batchSize: number;
  draw: number;
  indices: Int32Array;
  batch: Int32Array;
  extends: boolean;
}

/** Every draw's pieces, in the order they are measured. */
function drawPieces(o: GradientAnalysisOptions, m: number): DrawPiece[] {
  const sizes = [...new Set(o.batchSizes)].sort((a, b) => a - b);
  const pieces: DrawPiece[] = [];
  if (o.draws === 'independent')
    for (const batchSize of sizes)
      for (let k = 0; k < o.samples; k++) {
        const batch = uniformBatch(o.seed, o.purpose, batchSize, k, m);
        pieces.push({ batchSize, draw: k, indices: batch, batch, extends: false });
      }
  else
    for (let k = 0; k < o.samples; k++) {
      const batch = uniformBatch(o.seed, o.purpose, sizes[sizes.length - 1]!, k, m);
      let previous = 0;
      for (const batchSize of sizes) {
        const prefix = batch.subarray(0, batchSize);
        // population mode: B_j g_{B_j} = B_{j-1} g_{B_{j-1}} + (B_j - B_{j-1}) g_segment;
        // batch mode: each prefix its own pass
        pieces.push(
          o.mode === 'population'
            ? {
                batchSize,
                draw: k,
                indices: batch.subarray(previous, batchSize),
                batch: prefix,
                extends: previous > 0,
              }
            : { batchSize, draw: k, indices: prefix, batch: prefix, extends: false },
        );
        previous = batchSize;
      }
    }
  return pieces;
}

/** The layer inputs and outputs a population-mode pass that recomputes may hold at a time. */
const PASS_ACTIVATIONS = 2 ** 30;

/**
 * The examples a population-mode pass that recomputes takes at a time: `chunk`, or fewer where
 * a chunk's layer inputs and outputs (activationBytes) would pass 1 GiB. Memory only: the same
 * sums in other groups. C1 at a chunk of 5000 holds 5.4 GB of them and its heap grows to 11.9
 * GB, first touched in every process (2.9 million page faults, 28 s of system time); at 988 a
 * K = 3 point took 4.3 GB and 14% less time (docs/performance.md). F1 (44 kB an example) keeps
 * its chunk of 5000, whose larger products are faster than a quarter's.
 */
export function populationChunk(network: Network, train: Dataset, chunk: number): number {
  const bytes = activationBytes(network, train);
  if (bytes === null || bytes === 0) return chunk;
  return Math.max(1, Math.min(chunk, Math.floor(PASS_ACTIVATIONS / bytes)));
}

/** How population-mode draws get their gradients: from the whole training set's layer signals,
 * from them one block at a time (signal-blocks.ts), or recomputed (null; with one line through
 * onNote saying why, unless the budget is 0). */
type DrawSignals =
  { kind: 'whole'; signals: LayerSignals } | { kind: 'blocks'; blocks: SignalBlocks } | null;

function drawSignals(
  network: Network,
  train: Dataset,
  o: GradientAnalysisOptions,
  draws: DrawPiece[],
): DrawSignals {
  if (o.mode !== 'population' || o.signalMemory === 0) return null;
  const pieces = draws.length;
  const without = withoutLayerSignals(network);
  const bytes = without ? null : signalBytes(network, train, train.size);
  if (bytes === null) {
    o.onNote?.(
      `Experiment B: ${network.name} is ${without}, which has no layer signals: each draw recomputes its examples`,
    );
    return null;
  }
  const drawn = draws.reduce((n, p) => n + p.indices.length, 0);
  if (o.signalMemory === undefined && 2 * drawn < train.size) {
    o.onNote?.(
      `Experiment B: the draws take ${drawn} examples, fewer than half the ${train.size} training examples whose layer signals they would be built from: each draw recomputes its examples, which costs less (signal memory sets a budget that keeps them)`,
    );
    return null;
  }
  const budget = o.signalMemory ?? defaultSignalMemory();
  if (o.signalBlock === undefined && bytes <= budget)
    return {
      kind: 'whole',
      signals: new LayerSignals(network, train, train.all(), { chunk: passChunk(o.chunk) }),
    };
  const over =
    o.signalBlock === undefined
      ? `the layer signals of ${train.size} examples would need ${formatByteSize(bytes)}, more than the ${formatByteSize(budget)} allowed (signal memory)`
      : `the layer signals of ${train.size} examples, in blocks as asked (signal block)`;
  const size = Math.min(o.signalBlock ?? o.chunk, train.size);
  const blocks = signalBlocks(network, train, pieces, budget, size);
  if (!blocks) {
    const need = signalBytes(network, train, size)! + drawSumBytes(network, pieces);
    o.onNote?.(
      `Experiment B: ${over}, and a block of ${size} examples beside the ${pieces} draw sums would need ${formatByteSize(need)}: each draw recomputes its examples`,
    );
    return null;
  }
  o.onNote?.(
    `Experiment B: ${over}: kept in ${blocks.count} blocks of ${blocks.size} examples (${formatByteSize(blocks.signalBytes)}), beside ${pieces} draw sums (${formatByteSize(blocks.sumBytes)})`,
  );
  return { kind: 'blocks', blocks };
}

/**
 * Experiment B at the network's current w: g_train, g_test and g_total over whole sets, then
 * `samples` mini-batch gradients g_B for each batch size, measured against them (in units of
 * d, the parameter count) without any gradient crossing to JS per draw.
 *
 * @example
 * ```ts
 * import {
 *   analyzeGradients,
 *   DEFAULT_GRADIENT_ANALYSIS,
 *   loadData,
 *   Network,
 *   networkSpec,
 * } from 'gradscope';
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const b = await analyzeGradients(network, loadData('mnist'), {
 *   ...DEFAULT_GRADIENT_ANALYSIS,
 *   batchSizes: [256, 5000],
 *   samples: 10,
 *   purpose: 'a first look', // names the draws' random stream
 * });
 * console.log(`|g_train|/d = ${b.gTrainNorm.toFixed(3)}, B_simple = ${b.bSimple.toFixed(0)}`);
 * ```
 */
export async function analyzeGradients(
  network: Network,
  data: StudyData,
  options: GradientAnalysisOptions,
): Promise<GradientAnalysis> {
  const o = options;
  checkGradientOptions(o, data.train.size);
  const started = process.hrtime.bigint();
  const wholeChunk =
    o.mode === 'batch' ? o.ghostBatch : populationChunk(network, data.train, o.chunk);
  // g_train, g_test and g_total stay on the network's device; a draw returns a few scalars.
  // With layer signals, the pass that keeps them leaves g_train in the gradient buffer.
  const pieces = drawPieces(o, data.train.size);
  const signals = drawSignals(network, data.train, o, pieces);
  try {
    // awaited here, so that the signals are released only once every draw is done
    return await analyzeWith(network, data, o, pieces, signals, started, wholeChunk);
  } finally {
    if (signals?.kind === 'whole') signals.signals.release();
  }
}

async function analyzeWith(
  network: Network,
  data: StudyData,
  o: GradientAnalysisOptions,
  pieces: DrawPiece[],
  drawFrom: DrawSignals,
  started: bigint,
  wholeChunk: number,
): Promise<GradientAnalysis> {
  const m = data.train.size;
  const mTest = data.test.size;
  const signals = drawFrom?.kind === 'whole' ? drawFrom.signals : null;
  // in blocks, g_train's pass also completes every piece's sum |S_p| g_p (signal-blocks.ts)
  const blocked =
    drawFrom?.kind === 'blocks'
      ? await blockedPieceSums(
          network,
          data.train,
          pieces.map((p) => p.indices),
          drawFrom.blocks,
          o.chunk,
          (p, rows) => o.onDraw?.(pieces[p]!.batchSize, pieces[p]!.draw, rows),
        )
      : null;
  const train =
    blocked?.measurement ??
    signals?.measurement ??
    network.gradient(data.train, data.train.all(), { mode: o.mode, chunk: wholeChunk });
  const gTrain = blocked?.gTrain ?? new DeviceVector(network).setGradient(network);
  // beside layer signals, g_test runs in their pass's chunks: the heap that pass grew serves
  // it again, where a chunk of 5000 would first touch several gigabytes more (C1: 1.6 million
  // page faults, 18 s of system time on the 2-core AMD machine)
  const test = network.gradient(data.test, data.test.all(), {
    mode: o.mode,
    chunk: drawFrom ? passChunk(o.chunk) : wholeChunk,
  });
  const gTest = new DeviceVector(network).setGradient(network);
  const gTotal = new DeviceVector(network).setCombination(
    gTrain,
    m / (m + mTest),
    gTest,
    mTest / (m + mTest),
  );
  const groups = o.groups ?? [];
  const ranges = groups.length ? groups.map((group) => group.ranges) : undefined;
  // against zero: |g_train|^2 and per group |g_train,g|^2; |g_train - g_total|^2 = d^2
  const zero = new DeviceVector(network);
  const whole = measureVector(gTrain, 1, zero, gTotal, ranges);
  const d = Math.sqrt(whole.toTotalSquared);
  if (!(d > 0))
    throw new GradscopeInputError(
      'g_train equals g_total here (d = 0): distances in units of d are undefined',
    );
  const gTrainNorm = Math.sqrt(whole.normSquared);
  const gTotalNorm = Math.sqrt(measureVector(gTotal, 1, zero, gTotal).normSquared);
  const gTestNorm = Math.sqrt(measureVector(gTest, 1, zero, gTotal).normSquared);
  let examples = m + mTest;

  const sizes = [...new Set(o.batchSizes)].sort((a, b) => a - b);
  const drawsOf = new Map<number, Draw[]>(sizes.map((b) => [b, []]));
  const squaresOf = new Map<number, number[]>(sizes.map((b) => [b, []]));
  // per group and B: the draws' |g_B,g - g_train,g|^2
  const groupSquares = groups.map(() => new Map<number, number[]>(sizes.map((b) => [b, []])));
  const record = (batchSize: number, k: number, r: DrawMeasures, indices: Int32Array) => {
    const gNorm = Math.sqrt(r.normSquared);
    groups.forEach((_, j) => groupSquares[j]!.get(batchSize)!.push(r.groupSquares[j]!));
    squaresOf.get(batchSize)!.push(r.toTrainSquared);
    drawsOf.get(batchSize)!.push({
      draw: k,
      toTrain: Math.sqrt(r.toTrainSquared) / d,
      toTotal: Math.sqrt(r.toTotalSquared) / d,
      norm: gNorm / d,
      cosTotal: gNorm === 0 || gTotalNorm === 0 ? 0 : r.dotTotal / (gNorm * gTotalNorm),
      firstIndices: Array.from(indices.subarray(0, 4)),
    });
  };
  // the gradient buffer <- g over these training examples: in batch mode one pass of the
  // batch; in population mode from the layer signals, or in chunks (the same up to rounding)
  const gradientOf = (indices: Int32Array, batchSize: number): void => {
    if (signals) signals.gradient(indices);
    else
      network.gradient(data.train, indices, {
        mode: o.mode,
        chunk: o.mode === 'batch' ? batchSize : wholeChunk,
      });
  };
  // population mode: B_j g_{B_j}, on the device (a nested draw's sum so far)
  const sum = new DeviceVector(network);
  for (const [p, piece] of pieces.entries()) {
    const { batchSize, draw: k, indices } = piece;
    await throwIfStopped(() => `at draw ${k + 1} of ${o.samples} at B ${batchSize}`);
    let measures: DrawMeasures;
    if (blocked) {
      const pieceSum = blocked.sums[p]!;
      if (piece.extends) sum.setCombination(sum, 1, pieceSum, 1);
      else sum.setCombination(pieceSum, 1, pieceSum, 0);
      measures = measureVector(sum, batchSize, gTrain, gTotal, ranges);
    } else {
      gradientOf(indices, batchSize);
      if (o.mode === 'population' && o.draws === 'nested') {
        if (piece.extends) sum.addGradient(network, indices.length);
        else sum.setGradient(network, indices.length);
        measures = measureVector(sum, batchSize, gTrain, gTotal, ranges);
      } else measures = measureGradient(network, gTrain, gTotal, ranges);
      o.onDraw?.(batchSize, k, indices.length);
    }
    record(batchSize, k, measures, piece.batch);
    examples += indices.length;
  }
  const batchSizes: BatchSizeResult[] = o.batchSizes.map((batchSize) => {
    const draws = drawsOf.get(batchSize)!;
    const toTrainSquared = squaresOf.get(batchSize)!;
    const pick = (key: 'toTrain' | 'toTotal' | 'norm' | 'cosTotal') => draws.map((x) => x[key]);
    return {
      batchSize,
      draws,
      toTrain: summarise(pick('toTrain')),
      toTotal: summarise(pick('toTotal')),
      norm: summarise(pick('norm')),
      cosTotal: summarise(pick('cosTotal')),
      histogramToTrain: histogram(pick('toTrain'), o.cap),
      histogramToTotal: histogram(pick('toTotal'), o.cap),
      smithTrace: smithTraceEstimate(toTrainSquared, batchSize, m),
    };
  });

  const traceF = batchSizes.reduce((s, b) => s + b.smithTrace, 0) / batchSizes.length;
  const layers = groups.map((group, j): LayerNoise => {
    const gNorm = Math.sqrt(whole.groupSquares[j]!);
    const trace =
      o.batchSizes.reduce((s, b) => s + smithTraceEstimate(groupSquares[j]!.get(b)!, b, m), 0) /
      o.batchSizes.length;
    return {
      group: group.name,
      size: group.size,
      gTrainNorm: gNorm / d,
      meanToTrain: o.batchSizes.map((b) => {
        const squares = groupSquares[j]!.get(b)!;
        return {
          batchSize: b,
          mean: squares.reduce((s, x) => s + Math.sqrt(x), 0) / squares.length / d,
        };
      }),
      traceF: trace,
      bSimple: trace / (gNorm * gNorm),
    };
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    kind: 'gradient-distribution',
    mode: o.mode,
    ghostBatch: o.mode === 'batch' ? o.ghostBatch : null,
    trainSize: m,
    testSize: mTest,
    samples: o.samples,
    draws: o.draws,
    sampling: {
      seed: o.seed,
      purpose: o.purpose,
      method:
        o.draws === 'nested'
          ? 'nested: draw k is uniformBatch(seed, purpose, B_max, k, M) of src/data/sampler.ts; each B its first B indices'
          : 'independent: uniformBatch(seed, purpose, B, draw, M) of src/data/sampler.ts',
    },
    d,
    gTrainNorm: gTrainNorm / d,
    gTestNorm: gTestNorm / d,
    gTotalNorm: gTotalNorm / d,
    cosTrainTotal: whole.dotTotal / (gTrainNorm * gTotalNorm),
    trainLoss: train.loss,
    testLoss: test.loss,
    batchSizes,
    traceF,
    bSimple: traceF / (gTrainNorm * gTrainNorm),
    ...(groups.length ? { layers } : {}),
    signalBytes:
      signals?.bytes ?? (drawFrom?.kind === 'blocks' ? drawFrom.blocks.signalBytes : null),
    signalBlocks: drawFrom ? (drawFrom.kind === 'blocks' ? drawFrom.blocks.count : 1) : null,
    seconds,
    examplesPerSecond: examples / seconds,
  };
}
