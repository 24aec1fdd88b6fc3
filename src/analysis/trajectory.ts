/**
 * Training trajectories on the loss surface (Li, Xu, Taylor, Studer and Goldstein 2018,
 * section 7): random directions miss the path, which lies in a space of very low dimension;
 * the plane of its first two principal components catches it.
 *
 * With checkpoints w_1..w_m and the final solution w_f, the differences
 *   D = [w_1 - w_f; ...; w_m - w_f]   (m x n, not centred: w_f is the origin)
 * have principal directions from the small m x m Gram matrix G = D D^T = U diag(s) U^T
 * (symmetric-eigen.ts): the unit directions d_k = D^T u_k / sqrt(s_k), k = 1, 2, are the top
 * right singular vectors of D, orthonormal, and s_k / sum_i s_i is the share of
 * sum_j |w_j - w_f|^2 that direction k carries. Each checkpoint is drawn at
 *   (x_j, y_j) = (d_1 . (w_j - w_f), d_2 . (w_j - w_f)),
 * so w_f is the origin, and the loss is evaluated over the plane w_f + x d_1 + y d_2
 * (loss-surface.ts). Several paths (process 1 and each arm of a piggybacked study) share
 * one plane: D holds the checkpoints of all of them.
 *
 * All algebra in float64; the checkpoints are held in memory (their own dtype).
 */
import type { StudyData } from '../data/load';
import { expected, GradscopeInputError } from '../core/errors';
import type { FloatArray, Network } from '../engine/network';
import type { Solution } from './loss-line';
import { surfaceOver, type SurfaceOptions } from './loss-surface';
import { symmetricEigen } from './symmetric-eigen';

export interface TrajectoryPlane {
  d1: Float64Array;
  d2: Float64Array;
  /** s_1 / sum s, s_2 / sum s. */
  explained: [number, number];
  /** (x, y) of each w_j, in the order given. */
  coordinates: [number, number][];
}

/** The PCA plane of w_j - w_f and each checkpoint's place in it. */
export function trajectoryPlane(
  checkpoints: ArrayLike<number>[],
  final: ArrayLike<number>,
): TrajectoryPlane {
  const m = checkpoints.length;
  const n = final.length;
  const differences = checkpoints.map((w) => {
    if (w.length !== n) throw expected(`checkpoints of ${n} parameters`, 'checkpoints', w.length);
    return Float64Array.from({ length: n }, (_, i) => w[i]! - final[i]!);
  });
  const nonzero = differences.filter((x) => x.some((v) => v !== 0));
  if (nonzero.length < 2)
    throw new GradscopeInputError(
      `a trajectory plane needs at least two checkpoints other than the final solution (found ${nonzero.length})`,
    );
  const gram = new Float64Array(m * m);
  for (let a = 0; a < m; a++)
    for (let b = 0; b <= a; b++) {
      let s = 0;
      const x = differences[a]!;
      const y = differences[b]!;
      for (let i = 0; i < n; i++) s += x[i]! * y[i]!;
      gram[a * m + b] = gram[b * m + a] = s;
    }
  const eigen = symmetricEigen(gram, m);
  const total = eigen.values.reduce((s, v) => s + Math.max(v, 0), 0);
  const direction = (k: number): Float64Array => {
    const u = eigen.vectors[k]!;
    const d = new Float64Array(n);
    differences.forEach((x, j) => {
      const c = u[j]!;
      for (let i = 0; i < n; i++) d[i] = d[i]! + c * x[i]!;
    });
    // |D^T u| = sqrt(s); normalised by its own length (exact to rounding even for tiny s)
    let length = 0;
    for (let i = 0; i < n; i++) length += d[i]! * d[i]!;
    length = Math.sqrt(length);
    if (!(length > 0))
      throw new GradscopeInputError('the checkpoints span fewer than two directions');
    for (let i = 0; i < n; i++) d[i] = d[i]! / length;
    return d;
  };
  const d1 = direction(0);
  const d2 = direction(1);
  // re-orthogonalise d2 against d1 (they are orthogonal up to rounding)
  let c = 0;
  for (let i = 0; i < n; i++) c += d1[i]! * d2[i]!;
  let length = 0;
  for (let i = 0; i < n; i++) {
    d2[i] = d2[i]! - c * d1[i]!;
    length += d2[i]! ** 2;
  }
  length = Math.sqrt(length);
  for (let i = 0; i < n; i++) d2[i] = d2[i]! / length;
  const coordinates = differences.map((x): [number, number] => {
    let a = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      a += d1[i]! * x[i]!;
      b += d2[i]! * x[i]!;
    }
    return [a, b];
  });
  return {
    d1,
    d2,
    explained: [eigen.values[0]! / total, eigen.values[1]! / total],
    coordinates,
  };
}

/** A grid of `points` values covering [low, high] with a margin of a fifth of the span. */
export function coveringGrid(values: number[], points: number): number[] {
  const low = Math.min(...values);
  const high = Math.max(...values);
  const margin = Math.max((high - low) / 5, 1e-3 * Math.max(Math.abs(low), Math.abs(high), 1e-12));
  const a = low - margin;
  const b = high + margin;
  return Array.from({ length: points }, (_, i) =>
    i === points - 1 ? b : a + ((b - a) * i) / (points - 1),
  );
}

export interface TrajectoryPath {
  label: string;
  points: { epoch: number; file: string; x: number; y: number }[];
}

export interface TrajectoryResult {
  kind: 'trajectory';
  final: { label: string; file: string };
  explained: [number, number];
  paths: TrajectoryPath[];
  bn: SurfaceOptions['bn'];
  set: 'train' | 'test';
  xs: number[];
  ys: number[];
  /** loss[i][j] at (xs[i], ys[j]). */
  loss: number[][];
  accuracy: number[][];
  seconds: number;
}

export interface TrajectoryInput {
  label: string;
  checkpoints: { epoch: number; file: string; parameters: FloatArray }[];
}

/** The plane of the paths' checkpoints around `final`, and the loss over it. */
export async function trajectorySurface(
  network: Network,
  final: Solution & { file: string },
  paths: TrajectoryInput[],
  data: StudyData,
  options: Omit<SurfaceOptions, 'xs' | 'ys'> & { points: number },
  onPoint?: (done: number, total: number) => void,
): Promise<TrajectoryResult> {
  // a checkpoint on several paths (the branch point, where each arm starts) enters D once
  const all = paths.flatMap((p) => p.checkpoints);
  const unique = [...new Map(all.map((c) => [c.file, c])).values()];
  const plane = trajectoryPlane(
    unique.map((c) => c.parameters),
    final.parameters,
  );
  const at = new Map(unique.map((c, k) => [c.file, plane.coordinates[k]!]));
  const placed: TrajectoryPath[] = paths.map((p) => ({
    label: p.label,
    points: p.checkpoints.map((c) => {
      const [x, y] = at.get(c.file)!;
      return { epoch: c.epoch, file: c.file, x, y };
    }),
  }));
  const xs = coveringGrid([0, ...plane.coordinates.map((c) => c[0])], options.points);
  const ys = coveringGrid([0, ...plane.coordinates.map((c) => c[1])], options.points);
  const measured = await surfaceOver(
    network,
    final,
    plane.d1,
    plane.d2,
    data,
    { ...options, xs, ys },
    onPoint,
  );
  return {
    kind: 'trajectory',
    final: { label: final.label, file: final.file },
    explained: plane.explained,
    paths: placed,
    bn: options.bn,
    set: options.set,
    xs,
    ys,
    ...measured,
  };
}
