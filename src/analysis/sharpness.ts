/**
 * Sharpness of a solution w (docs/mathematics.md "Sharpness"), f the mean cross-entropy over a set
 * (the training set by default, or a seeded uniform sample of it), batch norm on running
 * statistics (`population`) by default:
 *
 * - Keskar et al. (2017), metric 2.1: with C_eps = {z : |z_i| <= eps (|w_i| + 1)},
 *     sharpness = 100 (max_{z in C_eps} f(w + z) - f(w)) / (1 + f(w)),
 *   in the full space, and in a random p-dimensional subspace: z = A y with A of
 *   subspace.ts (n x p, normalised Gaussian columns), the box on y
 *     |y_j| <= eps (|(A^+ w)_j| + 1).
 *   The maximum is sought from z = 0 by projected L-BFGS (box-maximise.ts), `iterations`
 *   iterations (Keskar et al.: L-BFGS-B, maxiter 10); gradients of f(w + z) come from
 *   Network.gradient, and dy f = A^T dz f. The result is a lower bound on the true maximum.
 * - The top-k Hessian eigenvalues and Hutchinson's trace estimate (hessian.ts), of f over
 *   a seeded uniform sample of f's examples (5000 by default: a product costs about three
 *   gradients). Eigenvalues by Lanczos with full reorthogonalisation (lanczos.ts; default,
 *   with each pair's true residual |H x - lambda x|, one product more per pair) or by power
 *   iteration with deflation (`eigen: 'power'`; tens of products per eigenvalue).
 * - Optionally the spectral density of that Hessian by stochastic Lanczos quadrature
 *   (spectral-density.ts): `density: { probes, steps }`.
 *
 * w is saved first and written back exactly afterwards, whatever happens.
 */
import type { StudyData } from '../data/load';
import { uniformBatch } from '../data/sampler';
import type { Dataset } from '../engine/dataset';
import {
  expected,
  GradscopeInputError,
  isNonNegativeInteger,
  isPositiveInteger,
} from '../core/errors';
import type { Network } from '../engine/network';
import {
  BOX_METHOD,
  checkBoxOptions,
  DEFAULT_BOX,
  maximiseInBox,
  type BoxStop,
} from './box-maximise';
import {
  checkEigenOptions,
  checkProbes,
  hessianOperator,
  hutchinsonTrace,
  topEigenvalues,
  type Eigenvalue,
  type TraceEstimate,
} from './hessian';
import { lanczosTopEigen } from './lanczos';
import { blockCurvature, groupsOf, type BlockCurvature } from './layer-blocks';
import {
  checkDensityOptions,
  DEFAULT_DENSITY,
  spectralDensity,
  type SpectralDensity,
} from './spectral-density';
import { RandomSubspace } from './subspace';

/**
 * What `measureSharpness` measures: Keskar's box sizes `eps` (full space and a random
 * subspace), the Hessian's `topK` eigenvalues, Hutchinson's `probes`, and on which examples.
 *
 * @example
 * ```ts
 * import { DEFAULT_SHARPNESS, type SharpnessOptions } from 'gradscope';
 * const options: SharpnessOptions = {
 *   ...DEFAULT_SHARPNESS,
 *   eps: [1e-3, 5e-4],
 *   topK: 5,
 *   probes: 20,
 * };
 * console.log(options.hessianSampleSize);
 * ```
 */
export interface SharpnessOptions {
  eps: number[];
  /** p, the random subspace's dimension; 0 skips the subspace measurement. */
  subspace: number;
  /** Maximiser iterations. */
  iterations: number;
  /** L-BFGS pairs kept by the maximiser. */
  memory: number;
  /** Hessian eigenvalues wanted (0: none). */
  topK: number;
  /** Lanczos (default) or power iteration with deflation. */
  eigen: 'lanczos' | 'power';
  /** The most products per eigenvalue (power) or Lanczos steps in all (lanczos). */
  powerIterations: number;
  /** Power: the relative change of an eigenvalue estimate at which it stops. Lanczos: the
   * residual estimate, relative to the largest |Ritz value|, at which it stops. */
  tolerance: number;
  /** Per parameter group: the block's top eigenvalue and trace (layer-blocks.ts); the
   * block traces use the Hutchinson probes (at least 2), whose full trace they sum to. */
  layers: boolean;
  /** The Hessian's spectral density by stochastic Lanczos quadrature; null: none. */
  density: { probes: number; steps: number } | null;
  /** Hutchinson probes (0: no trace). */
  probes: number;
  /** Examples of f's set the Hessian is taken over (a seeded uniform sample of them, for
   * cost: a Hessian-vector product costs about three gradients); null: all of f's. */
  hessianSampleSize: number | null;
  set: 'train' | 'test';
  /** Examples of the set f is measured on (a seeded uniform sample); null: all of them. */
  sampleSize: number | null;
  mode: 'population' | 'batch';
  /** Examples per pass (ghost-batch size in `batch` mode). */
  chunk: number;
  seed: number;
  /** Progress: `done` of at most `total` units of the named stage. */
  onProgress?: (stage: string, done: number, total: number) => void;
}

/**
 * The sharpness defaults: Keskar's eps 1e-3 and 5e-4 in the full space and a random subspace,
 * the Hessian's top eigenvalues by Lanczos and its trace, over a sample of 5000 examples.
 *
 * @example
 * ```ts
 * import { DEFAULT_SHARPNESS } from 'gradscope';
 * console.log(DEFAULT_SHARPNESS.eps, DEFAULT_SHARPNESS.topK, DEFAULT_SHARPNESS.probes);
 * ```
 */
export const DEFAULT_SHARPNESS: SharpnessOptions = {
  eps: [1e-3, 5e-4],
  subspace: 100,
  iterations: DEFAULT_BOX.iterations,
  memory: DEFAULT_BOX.memory,
  topK: 3,
  eigen: 'lanczos',
  powerIterations: 100,
  tolerance: 1e-3,
  density: null,
  layers: false,
  probes: 20,
  hessianSampleSize: 5000,
  set: 'train',
  sampleSize: null,
  mode: 'population',
  chunk: 5000,
  seed: 0,
};

export interface KeskarMeasurement {
  eps: number;
  space: 'full' | 'subspace';
  /** n in the full space, p in the subspace. */
  dimension: number;
  method: string;
  iterations: number;
  evaluations: number;
  gradients: number;
  converged: boolean;
  stop: BoxStop;
  /** f(w): the loss at the solution. */
  loss: number;
  /** The largest f(w + z) found in the box. */
  maxLoss: number;
  sharpness: number;
  seconds: number;
}

/**
 * Sharpness at one solution: Keskar's metric for every eps and space, the Hessian's top
 * eigenvalues (with residuals), Hutchinson's trace and, when asked for, its spectral density.
 *
 * @example
 * ```ts
 * import { checkpointState, measureSharpness, type SharpnessResult } from 'gradscope';
 * const { network, data } = checkpointState(
 *   'runs/thesis-f1/seeds/0/checkpoints/arm-5000/epoch-0030.safetensors',
 * );
 * const s: SharpnessResult = await measureSharpness(network, data);
 * for (const k of s.keskar) console.log(k.space, k.eps, k.sharpness);
 * console.log(
 *   s.hessian.eigenvalues.map((e) => e.value),
 *   s.hessian.trace?.trace,
 * );
 * ```
 */
export interface SharpnessResult {
  kind: 'sharpness';
  set: 'train' | 'test';
  examples: number;
  sampled: boolean;
  mode: 'population' | 'batch';
  parameters: number;
  loss: number;
  accuracy: number;
  keskar: KeskarMeasurement[];
  subspace: { dimension: number; seed: number; columns: string } | null;
  hessian: {
    method: string;
    eigen: 'lanczos' | 'power';
    /** Examples the Hessian is taken over (f's own when not sampled). */
    examples: number;
    tolerance: number;
    maxIterations: number;
    /** Lanczos: `iterations` is the Lanczos steps shared by all pairs, `residual` the
     * true |H x - lambda x| of each returned pair (one product each). */
    eigenvalues: (Eigenvalue & { residual?: number })[];
    trace: TraceEstimate | null;
    density: SpectralDensity | null;
    /** Per parameter group, when asked for. */
    layers: BlockCurvature[] | null;
    products: number;
  };
  seconds: number;
}

/** Keskar et al.'s metric 2.1 from the maximum found and f(w). */
export function keskarSharpness(maxLoss: number, loss: number): number {
  return (100 * (maxLoss - loss)) / (1 + loss);
}

export function checkSharpnessOptions(o: SharpnessOptions, n: number, setSize: number): void {
  if (!Array.isArray(o.eps) || o.eps.length === 0 || !o.eps.every((e) => e > 0 && e < Infinity))
    throw expected('a non-empty list of positive numbers', 'eps', o.eps);
  if (!isNonNegativeInteger(o.subspace) || o.subspace > n)
    throw expected(`an integer from 0 to ${n} (the parameter count)`, 'subspace', o.subspace);
  checkBoxOptions({ ...DEFAULT_BOX, iterations: o.iterations, memory: o.memory });
  checkEigenOptions(
    { topK: o.topK, maxIterations: o.powerIterations, tolerance: o.tolerance, seed: o.seed },
    n,
  );
  if (o.eigen !== 'lanczos' && o.eigen !== 'power')
    throw expected('"lanczos" or "power"', 'eigen', o.eigen);
  if (o.eigen === 'lanczos' && o.powerIterations < o.topK)
    throw expected(`at least top k (${o.topK})`, 'Lanczos steps', o.powerIterations);
  if (o.density !== null)
    checkDensityOptions({ ...DEFAULT_DENSITY, probes: o.density.probes, steps: o.density.steps });
  checkProbes(o.probes, 'Hutchinson probes', true);
  if (o.layers && o.probes === 0)
    throw expected('an integer of at least 2 (per-layer traces use them)', 'Hutchinson probes', 0);
  if (o.hessianSampleSize !== null && !isPositiveInteger(o.hessianSampleSize))
    throw expected('a positive integer or null', 'Hessian sample size', o.hessianSampleSize);
  if (o.set !== 'train' && o.set !== 'test') throw expected('"train" or "test"', 'set', o.set);
  if (o.sampleSize !== null && (!isPositiveInteger(o.sampleSize) || o.sampleSize > setSize))
    throw expected(
      `an integer from 1 to ${setSize} (the ${o.set} set's size)`,
      'sample size',
      o.sampleSize,
    );
  if (o.mode !== 'population' && o.mode !== 'batch')
    throw expected('"population" or "batch"', 'bn', o.mode);
  if (!isPositiveInteger(o.chunk)) throw expected('a positive integer', 'chunk', o.chunk);
}

/** A random subspace with A^+ w, the centre of its box. */
export interface SubspaceAround {
  a: RandomSubspace;
  pseudoInverse: Float64Array;
}

/** Keskar's metric for one eps, in the full space (space null) or in A's span; w restored. */
export async function keskarMeasurement(
  network: Network,
  set: Dataset,
  indices: Int32Array,
  w: Float32Array | Float64Array,
  loss: number,
  eps: number,
  space: SubspaceAround | null,
  o: SharpnessOptions,
): Promise<KeskarMeasurement> {
  const started = process.hrtime.bigint();
  const n = w.length;
  const pass = { mode: o.mode, chunk: o.chunk };
  const subspace = space?.a;
  const centre = space ? space.pseudoInverse : w;
  const dimension = centre.length;
  const upper = new Float64Array(dimension);
  for (let j = 0; j < dimension; j++) upper[j] = eps * (Math.abs(centre[j]!) + 1);
  const lower = upper.map((u) => -u);
  const z = new Float64Array(n);
  const placedAt = new Float64Array(dimension).fill(NaN);
  const placed = w.slice(); // w + z, written to the network as a whole
  const gradient = w.slice(); // the host copy of each gradient
  const place = (x: Float64Array): void => {
    if (x.every((v, i) => v === placedAt[i])) return;
    placedAt.set(x);
    if (!subspace) z.set(x);
    else if (x.some((v) => v !== 0)) subspace.apply(x, z);
    else z.fill(0); // the start, y = 0: no pass over A needed
    for (let i = 0; i < n; i++) placed[i] = w[i]! + z[i]!;
    network.writeParameters(placed);
  };
  const f = (x: Float64Array): number => {
    place(x);
    return network.evaluate(set, indices, pass).loss;
  };
  const grad = (x: Float64Array, out: Float64Array): void => {
    place(x);
    network.gradient(set, indices, pass);
    network.readGradients(gradient);
    if (subspace) subspace.transposeApply(gradient, out);
    else out.set(gradient);
  };
  const stage = `eps ${eps}, ${subspace ? 'subspace' : 'full space'}: iterations`;
  let r: Awaited<ReturnType<typeof maximiseInBox>>;
  try {
    r = await maximiseInBox(f, grad, new Float64Array(dimension), lower, upper, {
      iterations: o.iterations,
      memory: o.memory,
      onIteration: (i) => o.onProgress?.(stage, i, o.iterations),
    });
  } finally {
    network.writeParameters(w);
  }
  return {
    eps,
    space: subspace ? 'subspace' : 'full',
    dimension,
    method: BOX_METHOD,
    iterations: r.iterations,
    evaluations: r.evaluations,
    gradients: r.gradients,
    converged: r.converged,
    stop: r.stop,
    loss,
    maxLoss: r.value,
    sharpness: keskarSharpness(r.value, loss),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}

/** The Hessian's examples: a seeded uniform sample of f's, in order, or all of them. */
function hessianSample(indices: Int32Array, o: SharpnessOptions): Int32Array {
  const m = o.hessianSampleSize;
  if (m === null || m >= indices.length) return indices;
  return uniformBatch(o.seed, 'hessian', m, 0, indices.length)
    .sort()
    .map((position) => indices[position]!);
}

/**
 * Keskar's sharpness, the Hessian's top eigenvalues and Hutchinson's trace at the network's
 * current w (left exactly as it was), with DEFAULT_SHARPNESS for what `options` leaves out.
 *
 * @example
 * ```ts
 * import { checkpointState, measureSharpness } from 'gradscope';
 * const { network, data } = checkpointState(
 *   'runs/thesis-f1/seeds/0/checkpoints/arm-5000/epoch-0030.safetensors',
 * );
 * const s = await measureSharpness(network, data, { eps: [1e-3], subspace: 0, topK: 1, probes: 0 });
 * console.log(
 *   `sharpness ${s.keskar[0].sharpness.toFixed(2)}, lambda_max ${s.hessian.eigenvalues[0].value}`,
 * );
 * ```
 */
export async function measureSharpness(
  network: Network,
  data: StudyData,
  options: Partial<SharpnessOptions> = {},
): Promise<SharpnessResult> {
  const o: SharpnessOptions = { ...DEFAULT_SHARPNESS, ...options };
  const set = o.set === 'train' ? data.train : data.test;
  checkSharpnessOptions(o, network.parameterCount, set.size);
  const started = process.hrtime.bigint();
  const indices =
    o.sampleSize === null
      ? set.all()
      : uniformBatch(o.seed, 'sharpness', o.sampleSize, 0, set.size).sort();
  const pass = { mode: o.mode, chunk: o.chunk };
  const w = network.readParameters();
  try {
    const base = network.evaluate(set, indices, pass);
    if (!Number.isFinite(base.loss))
      throw new GradscopeInputError(`the loss at this state is not finite (${base.loss})`);
    const n = network.parameterCount;
    o.onProgress?.('random subspace', 0, 1);
    const a = o.subspace ? new RandomSubspace(n, o.subspace, o.seed) : null;
    const subspace = a ? { a, pseudoInverse: a.pseudoInverse(w) } : null;
    const keskar: KeskarMeasurement[] = [];
    for (const eps of o.eps)
      for (const space of subspace ? [null, subspace] : [null]) {
        keskar.push(await keskarMeasurement(network, set, indices, w, base.loss, eps, space, o));
      }
    const hessianIndices = hessianSample(indices, o);
    const apply = hessianOperator(network, set, hessianIndices, pass);
    let products = 0;
    const planned =
      (o.eigen === 'lanczos' ? o.powerIterations + o.topK : o.topK * o.powerIterations) +
      o.probes +
      (o.density ? o.density.probes * o.density.steps : 0);
    const onProduct = (): void => {
      products++;
      o.onProgress?.('Hessian-vector products', products, planned);
    };
    const eigenvalues =
      o.eigen === 'power'
        ? await topEigenvalues(apply, n, {
            topK: o.topK,
            maxIterations: o.powerIterations,
            tolerance: o.tolerance,
            seed: o.seed,
            onProduct,
          })
        : await lanczosEigenvalues(apply, n, o, onProduct);
    // the per-layer traces come from the Hutchinson probes themselves (same products)
    const blocks = o.layers
      ? await blockCurvature(apply, n, groupsOf(network), {
          probes: o.probes,
          maxSteps: o.powerIterations,
          tolerance: o.tolerance,
          seed: o.seed,
          onProduct,
        })
      : null;
    const trace: TraceEstimate | null = blocks
      ? {
          method: 'Hutchinson, Rademacher probes',
          trace: blocks.trace,
          standardError: blocks.standardError,
          probes: o.probes,
          seed: o.seed,
        }
      : o.probes
        ? await hutchinsonTrace(apply, n, o.probes, o.seed, onProduct)
        : null;
    const density = o.density
      ? await spectralDensity(apply, n, { ...o.density, seed: o.seed, onProduct })
      : null;
    return {
      kind: 'sharpness',
      set: o.set,
      examples: indices.length,
      sampled: o.sampleSize !== null,
      mode: o.mode,
      parameters: n,
      loss: base.loss,
      accuracy: base.accuracy,
      keskar,
      subspace: subspace
        ? {
            dimension: o.subspace,
            seed: o.seed,
            columns:
              "a_j = r_j / |r_j|, r_j ~ N(0, I) (ziggurat) from rngFor(seed, 'subspace', j); streamed, never stored",
          }
        : null,
      hessian: {
        method:
          (o.eigen === 'power'
            ? 'power iteration with deflation (largest |lambda|)'
            : 'Lanczos with full reorthogonalisation (largest lambda), true residuals |Hx - lambda x|') +
          '; Hutchinson trace' +
          (density ? '; stochastic Lanczos quadrature density' : ''),
        eigen: o.eigen,
        examples: hessianIndices.length,
        tolerance: o.tolerance,
        maxIterations: o.powerIterations,
        eigenvalues,
        trace,
        density,
        layers: blocks ? blocks.blocks : null,
        products,
      },
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    network.writeParameters(w);
  }
}

async function lanczosEigenvalues(
  apply: ReturnType<typeof hessianOperator>,
  n: number,
  o: SharpnessOptions,
  onProduct: () => void,
): Promise<(Eigenvalue & { residual: number })[]> {
  const r = await lanczosTopEigen(apply, n, {
    topK: o.topK,
    maxSteps: Math.min(o.powerIterations, n),
    tolerance: o.tolerance,
    residuals: 'exact',
    seed: o.seed,
    onProduct,
  });
  return r.pairs.map((p) => ({
    value: p.value,
    iterations: r.steps,
    converged: p.converged,
    residual: p.residual,
  }));
}
