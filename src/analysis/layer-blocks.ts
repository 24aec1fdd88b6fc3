/**
 * Per-layer views of the curvature and of the gradient noise. The parameters w split into
 * groups, one per module of the network: a layer's weight (and bias), a batch norm's scale
 * and shift together. P_g is the 0/1 mask of group g (a diagonal projection), so
 * sum_g P_g = I.
 *
 * - Block Hessian H_g = P_g H P_g, the Hessian restricted to the group's coordinates:
 *   its top eigenvalue by Lanczos (lanczos.ts) on the n_g-dimensional operator
 *   x -> (H [x embedded in zeros])_g, one Hessian-vector product per step;
 *   its trace by Hutchinson with the probe restricted to the block on one side,
 *     tr(H_g) = E[(P_g v)^T H v],  v Rademacher,
 *   (E[v_i v_j] = delta_ij, so the expectation is sum_{i in g} H_ii). One product H v
 *   per probe serves every group, and with the same probes (rngFor(seed, 'hutchinson', q),
 *   as hessian.ts) the group estimates add up exactly to Hutchinson's full estimate
 *   v^T H v, since sum_g P_g = I. Standard errors as there: s / sqrt(N).
 * - Gradient noise per group (Experiment B's draws, gradient-distribution.ts):
 *   |g_train,g|, the mean of |g_B,g - g_train,g| over the draws of each B, and the
 *   group's share of Smith and Le's estimate, tr(F_g) = mean over B of
 *   B E|g_B,g - g_train,g|^2 / (1 - B/M), with B_simple,g = tr(F_g) / |g_train,g|^2.
 *   Since |x|^2 = sum_g |x_g|^2, the tr(F_g) add up to the whole tr(F).
 */
import type { Network, ParameterEntry } from '../engine/network';
import { throwIfStopped } from '../train/stop';
import type { HessianOperator } from './hessian';
import { lanczosTopEigen } from './lanczos';
import { rademacherProbe } from './spectral-density';

export interface ParameterGroup {
  /** e.g. "1 batchnorm1d (1.weight, 1.bias)". */
  name: string;
  /** The module's index in the layer list. */
  layer: number;
  /** [offset, size] ranges of w. */
  ranges: [number, number][];
  size: number;
}

/** One group per module: the parameters whose state_dict keys share the prefix before '.'. */
export function parameterGroups(
  table: ParameterEntry[],
  layerTypes: string[] = [],
): ParameterGroup[] {
  const groups = new Map<string, { entries: ParameterEntry[] }>();
  for (const entry of table) {
    const prefix = entry.name.split('.')[0]!;
    if (!groups.has(prefix)) groups.set(prefix, { entries: [] });
    groups.get(prefix)!.entries.push(entry);
  }
  return [...groups].map(([prefix, { entries }]) => {
    const layer = Number(prefix);
    const type = layerTypes[layer];
    return {
      name: `${prefix}${type ? ` ${type}` : ''} (${entries.map((e) => e.name).join(', ')})`,
      layer,
      ranges: entries.map((e): [number, number] => [e.offset, e.size]),
      size: entries.reduce((s, e) => s + e.size, 0),
    };
  });
}

export function groupsOf(network: Network): ParameterGroup[] {
  return parameterGroups(
    network.parameterTable,
    network.resolved.layers.map((l) => l.type),
  );
}

/** sum_{i in g} a_i b_i. */
export function groupDot(
  group: ParameterGroup,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): number {
  let s = 0;
  for (const [offset, size] of group.ranges)
    for (let i = offset; i < offset + size; i++) s += a[i]! * b[i]!;
  return s;
}

export interface BlockTrace {
  group: string;
  size: number;
  trace: number;
  standardError: number;
}

/** Hutchinson's trace of every block from the same N probes (N products in all). */
export async function blockTraces(
  apply: HessianOperator,
  n: number,
  groups: ParameterGroup[],
  probes: number,
  seed: number,
  onProduct?: () => void,
): Promise<{ blocks: BlockTrace[]; trace: number; standardError: number }> {
  const v = new Float64Array(n);
  const hv = new Float64Array(n);
  const samples = groups.map(() => [] as number[]);
  const full: number[] = [];
  for (let q = 0; q < probes; q++) {
    rademacherProbe(seed, 'hutchinson', q, v);
    await throwIfStopped(
      () => `before Hessian-vector product ${q + 1} of ${probes} (per-layer traces)`,
    );
    apply(v, hv);
    onProduct?.();
    groups.forEach((g, j) => samples[j]!.push(groupDot(g, v, hv)));
    let s = 0;
    for (let i = 0; i < n; i++) s += v[i]! * hv[i]!;
    full.push(s);
  }
  const stats = (xs: number[]) => {
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance =
      xs.length > 1 ? xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1) : NaN;
    return { mean, error: Math.sqrt(variance / xs.length) };
  };
  return {
    blocks: groups.map((g, j) => {
      const { mean, error } = stats(samples[j]!);
      return { group: g.name, size: g.size, trace: mean, standardError: error };
    }),
    trace: stats(full).mean,
    standardError: stats(full).error,
  };
}

/** H_g as an operator on the group's own n_g coordinates. */
export function blockOperator(
  apply: HessianOperator,
  n: number,
  group: ParameterGroup,
): HessianOperator {
  const full = new Float64Array(n);
  const out = new Float64Array(n);
  return (x, y) => {
    full.fill(0);
    let k = 0;
    for (const [offset, size] of group.ranges)
      for (let i = offset; i < offset + size; i++) full[i] = x[k++]!;
    apply(full, out);
    k = 0;
    for (const [offset, size] of group.ranges)
      for (let i = offset; i < offset + size; i++) y[k++] = out[i]!;
  };
}

export interface BlockCurvature extends BlockTrace {
  topEigenvalue: number;
  /** |H_g x - lambda x| of the returned pair. */
  residual: number;
  lanczosSteps: number;
}

/** Top eigenvalue (Lanczos) and trace (Hutchinson) of every block. */
export async function blockCurvature(
  apply: HessianOperator,
  n: number,
  groups: ParameterGroup[],
  o: { probes: number; maxSteps: number; tolerance: number; seed: number; onProduct?: () => void },
): Promise<{ blocks: BlockCurvature[]; trace: number; standardError: number }> {
  const traces = await blockTraces(apply, n, groups, o.probes, o.seed, o.onProduct);
  const blocks: BlockCurvature[] = [];
  for (const [j, g] of groups.entries()) {
    const top = await lanczosTopEigen(blockOperator(apply, n, g), g.size, {
      topK: 1,
      maxSteps: Math.min(o.maxSteps, g.size),
      tolerance: o.tolerance,
      residuals: 'exact',
      seed: o.seed,
      onProduct: o.onProduct,
    });
    blocks.push({
      ...traces.blocks[j]!,
      topEigenvalue: top.pairs[0]!.value,
      residual: top.pairs[0]!.residual,
      lanczosSteps: top.steps,
    });
  }
  return { blocks, trace: traces.trace, standardError: traces.standardError };
}
