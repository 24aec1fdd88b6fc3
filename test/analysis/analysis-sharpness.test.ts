/**
 * Sharpness and the Hessian against independent computations:
 * - softmax cross-entropy of a bias-free linear layer, whose Hessian is known in closed
 *   form, H = mean_i (diag(p_i) - p_i p_i^T) (x) x_i x_i^T, built here in float64 and
 *   diagonalised by a Jacobi eigenvalue routine: H v, the top eigenvalues, the trace;
 * - the box maximiser on quadratics whose maximum over the box is known, and Keskar's
 *   metric on the linear network against the maximum over the box's vertices (the loss
 *   is convex in w, so its maximum over a box lies at a vertex);
 * - on F1, H v against the central difference of gradients.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { maximiseInBox } from '../../src/analysis/box-maximise';
import { hessianOperator, hutchinsonTrace, topEigenvalues } from '../../src/analysis/hessian';
import { NormalStreams } from '../../src/analysis/normal-streams';
import { keskarSharpness, measureSharpness } from '../../src/analysis/sharpness';
import { RandomSubspace } from '../../src/analysis/subspace';
import type { StudyData } from '../../src/data/load';
import { Dataset } from '../../src/engine/dataset';
import { Network } from '../../src/engine/network';
import { f1 } from '../../src/models/f1';
import { gradscope, idxDataAndNetwork, trainOneEpoch } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { random, randomDataset, randomSource, range, relativeError } from '../fixtures/helpers';

const K = 3; // inputs
const C = 3; // classes
const M = 5; // examples

function linearCase() {
  const source = randomSource(M, [1, 1, K], C, 5);
  const set = new Dataset('tiny', C, source);
  const data: StudyData = {
    name: 'idx',
    classes: C,
    train: set,
    test: set,
    description: '',
    files: [],
  };
  const network = new Network(
    {
      name: 'linear',
      input: [1, 1, K],
      classes: C,
      layers: [{ type: 'flatten' }, { type: 'linear', out: C, bias: false }],
    },
    { dtype: 'float64' },
  );
  const r = random(9);
  for (let i = 0; i < network.parameterCount; i++) network.parameters[i] = 4 * (r() - 0.5);
  return { source, set, data, network };
}

/** The closed-form Hessian of the mean loss in w = vec(W) (W row-major, classes x inputs). */
function closedFormHessian(
  w: ArrayLike<number>,
  source: { pixels: Uint8Array; labels: Int32Array },
): Float64Array {
  const n = C * K;
  const h = new Float64Array(n * n);
  for (let e = 0; e < M; e++) {
    const x = Array.from({ length: K }, (_, j) => source.pixels[e * K + j]! / 255);
    const z = Array.from({ length: C }, (_, c) =>
      x.reduce((s, xj, j) => s + w[c * K + j]! * xj, 0),
    );
    const top = Math.max(...z);
    const ez = z.map((v) => Math.exp(v - top));
    const p = ez.map((v) => v / ez.reduce((a, b) => a + b, 0));
    for (let c = 0; c < C; c++)
      for (let d = 0; d < C; d++)
        for (let j = 0; j < K; j++)
          for (let k = 0; k < K; k++)
            h[(c * K + j) * n + d * K + k] +=
              (((c === d ? p[c]! : 0) - p[c]! * p[d]!) * x[j]! * x[k]!) / M;
  }
  return h;
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations, descending. */
function jacobiEigenvalues(matrix: Float64Array, n: number): number[] {
  const a = Float64Array.from(matrix);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) off += a[i * n + j]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]!).sort((x, y) => y - x);
}

function matVec(h: Float64Array, v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i] += h[i * n + j]! * v[j]!;
  return out;
}

const close = (a: number, b: number, tol: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= tol * Math.abs(b), `${what}: ${a} vs ${b}`);

test('linear layer: H v, the top eigenvalues and the trace match the closed form', async () => {
  const { source, set, network } = linearCase();
  const n = network.parameterCount;
  const h = closedFormHessian(network.parameters, source);
  const apply = hessianOperator(network, set, range(M), { mode: 'population' });
  const r = random(3);
  const v = Float64Array.from({ length: n }, () => r() - 0.5);
  const hv = new Float64Array(n);
  apply(v, hv);
  assert.ok(relativeError(hv, matVec(h, v)) < 1e-6, 'H v');

  const exact = jacobiEigenvalues(h, n);
  const found = await topEigenvalues(apply, n, {
    topK: 3,
    maxIterations: 5000,
    tolerance: 1e-13,
    seed: 1,
  });
  found.forEach((e, i) => {
    assert.ok(e.converged, `eigenvalue ${i} converged`);
    close(e.value, exact[i]!, 1e-4, `eigenvalue ${i}`);
  });

  // tr(H) through the network exactly (all basis vectors), and Hutchinson within its error
  let trace = 0;
  for (let i = 0; i < n; i++) trace += h[i * n + i]!;
  let basisTrace = 0;
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    e.fill(0);
    e[i] = 1;
    apply(e, hv);
    basisTrace += hv[i]!;
  }
  close(basisTrace, trace, 1e-6, 'trace over the basis');
  const probes = 2000;
  const t = await hutchinsonTrace(apply, n, probes, 4);
  assert.equal(t.probes, probes);
  assert.ok(Math.abs(t.trace - trace) < 4 * t.standardError, `${t.trace} vs ${trace}`);
  let offDiagonal = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) if (i !== j) offDiagonal += h[i * n + j]! ** 2;
  close(t.standardError, Math.sqrt((2 * offDiagonal) / probes), 0.1, 'standard error');
});

test('Hutchinson is exact on a diagonal operator; power iteration finds negative eigenvalues', async () => {
  const diagonal = [3, -5, 0.5, 1, 2];
  const apply = (v: Float64Array, out: Float64Array): void =>
    diagonal.forEach((d, i) => (out[i] = d * v[i]!));
  const t = await hutchinsonTrace(apply, 5, 3, 0);
  close(t.trace, 1.5, 1e-15, 'trace');
  assert.equal(t.standardError, 0);
  const e = await topEigenvalues(apply, 5, {
    topK: 3,
    maxIterations: 2000,
    tolerance: 1e-14,
    seed: 0,
  });
  assert.deepEqual(
    e.map((x) => Math.round(x.value * 1e8) / 1e8),
    [-5, 3, 2],
  );
});

test('maximiseInBox: a convex separable quadratic is maximised at its corner', async () => {
  const q = [1, 3, 0.5, 2];
  const b = [0.4, -1, 0.2, -0.1];
  const u = [1, 0.5, 2, 0.3];
  const c = 0.7;
  const f = (z: Float64Array): number =>
    c + z.reduce((s, zi, i) => s + 0.5 * q[i]! * zi * zi + b[i]! * zi, 0);
  const grad = (z: Float64Array, out: Float64Array): void =>
    z.forEach((zi, i) => (out[i] = q[i]! * zi + b[i]!));
  const upper = Float64Array.from(u);
  const r = await maximiseInBox(
    f,
    grad,
    new Float64Array(4),
    upper.map((x) => -x),
    upper,
  );
  const best = c + u.reduce((s, ui, i) => s + 0.5 * q[i]! * ui * ui + Math.abs(b[i]!) * ui, 0);
  close(r.value, best, 1e-14, 'max');
  assert.deepEqual(
    Array.from(r.x),
    u.map((ui, i) => Math.sign(b[i]!) * ui),
  );
  assert.ok(r.converged);
  close(keskarSharpness(r.value, r.initialValue), (100 * (best - c)) / (1 + c), 1e-12, 'sharpness');
});

test('maximiseInBox: a coupled convex quadratic on a small box, against every vertex', async () => {
  const n = 8;
  const r = random(11);
  const g = Float64Array.from({ length: n * n }, () => r() - 0.5);
  const q = new Float64Array(n * n); // Q = G^T G + I, positive definite
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) q[i * n + j] += g[k * n + i]! * g[k * n + j]!;
      if (i === j) q[i * n + j] += 1;
    }
  const b = Float64Array.from({ length: n }, () => r() - 0.5);
  const f = (z: Float64Array): number => {
    const qz = matVec(q, z);
    return z.reduce((s, zi, i) => s + 0.5 * zi * qz[i]! + b[i]! * zi, 0);
  };
  const grad = (z: Float64Array, out: Float64Array): void => {
    const qz = matVec(q, z);
    z.forEach((_, i) => (out[i] = qz[i]! + b[i]!));
  };
  const upper = Float64Array.from({ length: n }, () => 0.05 + 0.1 * r());
  const lower = upper.map((x) => -x);
  let best = -Infinity;
  const vertex = new Float64Array(n);
  for (let mask = 0; mask < 2 ** n; mask++) {
    for (let i = 0; i < n; i++) vertex[i] = mask & (1 << i) ? upper[i]! : lower[i]!;
    best = Math.max(best, f(vertex));
  }
  const result = await maximiseInBox(f, grad, new Float64Array(n), lower, upper);
  close(result.value, best, 1e-12, 'max over the box');
});

test('maximiseInBox: a concave quadratic converges to its clipped maximiser', async () => {
  const n = 6;
  const r = random(5);
  const g = Float64Array.from({ length: n * n }, () => r() - 0.5);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) q[i * n + j] += g[k * n + i]! * g[k * n + j]!;
      if (i === j) q[i * n + j] += 0.5;
    }
  const centre = Float64Array.from({ length: n }, () => r() - 0.5);
  // f = -0.5 (z - centre)^T Q (z - centre); the box contains the centre
  const f = (z: Float64Array): number => {
    const d = z.map((zi, i) => zi - centre[i]!);
    return -0.5 * matVec(q, d).reduce((s, x, i) => s + x * d[i]!, 0);
  };
  const grad = (z: Float64Array, out: Float64Array): void =>
    matVec(
      q,
      z.map((zi, i) => zi - centre[i]!),
    ).forEach((x, i) => (out[i] = -x));
  const upper = new Float64Array(n).fill(1);
  const result = await maximiseInBox(
    f,
    grad,
    new Float64Array(n),
    upper.map((x) => -x),
    upper,
    {
      iterations: 100,
      pgtol: 1e-10,
    },
  );
  assert.ok(result.converged, result.stop);
  assert.ok(relativeError(result.x, centre) < 1e-5, `${result.x} vs ${centre}`);
  // diagonal Q with the centre outside the box: the maximiser is the clipped centre
  const qd = [2, 0.1, 5];
  const cd = [3, -0.2, -4];
  const fd = (z: Float64Array): number =>
    z.reduce((s, zi, i) => s - 0.5 * qd[i]! * (zi - cd[i]!) ** 2, 0);
  const gd = (z: Float64Array, out: Float64Array): void =>
    z.forEach((zi, i) => (out[i] = -qd[i]! * (zi - cd[i]!)));
  const ones = new Float64Array(3).fill(1);
  const rd = await maximiseInBox(
    fd,
    gd,
    new Float64Array(3),
    ones.map((x) => -x),
    ones,
    {
      iterations: 100,
      pgtol: 1e-10,
    },
  );
  assert.ok(relativeError(rd.x, [1, -0.2, -1]) < 1e-6, `${rd.x}`);
});

test('random subspace: unit columns, A^T is the adjoint of A, A^+ w solves the normal equations', () => {
  const n = 10000; // three row blocks
  const p = 5;
  const a = new RandomSubspace(n, p, 3);
  const columns = Array.from({ length: p }, (_, j) => {
    const e = new Float64Array(p);
    e[j] = 1;
    const col = new Float64Array(n);
    a.apply(e, col);
    return col;
  });
  const dotp = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
    return s;
  };
  columns.forEach((col, j) => {
    close(dotp(col, col), 1, 1e-12, `|a_${j}|`);
    close(a.gram[j * p + ((j + 1) % p)]!, dotp(col, columns[(j + 1) % p]!), 1e-9, 'Gram entry');
  });
  const r = random(2);
  const w = Float32Array.from({ length: n }, () => r() - 0.5);
  const t = new Float64Array(p);
  a.transposeApply(w, t);
  columns.forEach((col, j) => close(t[j]!, dotp(col, w), 1e-12, `(A^T w)_${j}`));
  const y = a.pseudoInverse(w);
  const ay = new Float64Array(n);
  a.apply(y, ay);
  const residual = ay.map((v, i) => v - w[i]!);
  columns.forEach((col, j) =>
    assert.ok(Math.abs(dotp(col, residual)) < 1e-9, `normal equation ${j}`),
  );
  const again = new RandomSubspace(n, p, 3);
  assert.deepEqual(Array.from(again.gram), Array.from(a.gram));
});

test("Keskar's metric on the linear layer: the maximum over the box's vertices, w restored", async () => {
  const { data, network } = linearCase();
  const w = Float64Array.from(network.parameters);
  const all = range(M);
  const loss = (): number => network.evaluate(data.train, all).loss;
  const f0 = loss();
  const p = 4;
  const result = await measureSharpness(network, data, {
    eps: [1e-3, 0.05],
    subspace: p,
    topK: 0,
    probes: 0,
  });
  assert.deepEqual(Array.from(network.parameters), Array.from(w), 'w restored exactly');
  assert.equal(result.keskar.length, 4);
  const subspace = new RandomSubspace(w.length, p, 0);
  const centre = subspace.pseudoInverse(w);
  for (const k of result.keskar) {
    const full = k.space === 'full';
    const dim = full ? w.length : p;
    const bound = (j: number): number => k.eps * (Math.abs(full ? w[j]! : centre[j]!) + 1);
    const y = new Float64Array(dim);
    const z = new Float64Array(w.length);
    let best = -Infinity;
    for (let mask = 0; mask < 2 ** dim; mask++) {
      for (let j = 0; j < dim; j++) y[j] = mask & (1 << j) ? bound(j) : -bound(j);
      if (full) z.set(y);
      else subspace.apply(y, z);
      for (let i = 0; i < w.length; i++) network.parameters[i] = w[i]! + z[i]!;
      best = Math.max(best, loss());
    }
    network.parameters.set(w);
    close(k.loss, f0, 1e-15, 'f(w)');
    close(k.maxLoss, best, 1e-9, `max, eps ${k.eps}, ${k.space}`);
    close(k.sharpness, (100 * (best - f0)) / (1 + f0), 1e-6, `sharpness, eps ${k.eps}, ${k.space}`);
    assert.ok(k.iterations >= 1 && k.iterations <= 10);
  }
});

test('F1: H v agrees with the central difference of gradients', () => {
  const network = new Network(f1(), { dtype: 'float64', seed: 3 });
  const set = randomDataset(6, [1, 28, 28], 10, 8);
  const indices = range(6);
  const n = network.parameterCount;
  const r = random(4);
  const v = Float64Array.from({ length: n }, () => r() - 0.5);
  const scale = 1 / Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  v.forEach((x, i) => (v[i] = x * scale));
  const hv = new Float64Array(n);
  hessianOperator(network, set, indices, { mode: 'population' })(v, hv);
  const w = Float64Array.from(network.parameters);
  const h = 1e-4;
  const gradientAt = (sign: number): Float64Array => {
    for (let i = 0; i < n; i++) network.parameters[i] = w[i]! + sign * h * v[i]!;
    network.gradient(set, indices, { mode: 'population' });
    return Float64Array.from(network.gradients);
  };
  const plus = gradientAt(1);
  const minus = gradientAt(-1);
  network.parameters.set(w);
  const difference = plus.map((g, i) => (g - minus[i]!) / (2 * h));
  const error = relativeError(hv, difference);
  assert.ok(error < 1e-3, `relative error ${error}`);
});

test('bad options are rejected with one clear message', async () => {
  const { data, network } = linearCase();
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ eps: [] }, /Expected a non-empty list of positive numbers for eps but received \[\]/],
    [{ eps: [-1] }, /for eps but received \[-1\]/],
    [
      { subspace: 10 },
      /Expected an integer from 0 to 9 \(the parameter count\) for subspace but received 10/,
    ],
    [{ iterations: 0 }, /Expected a positive integer for iterations but received 0/],
    [{ topK: 10 }, /Expected an integer from 0 to 9 \(the parameter count\) for top k/],
    [
      { probes: 1 },
      /Expected 0 \(no trace\) or an integer of at least 2 for Hutchinson probes but received 1/,
    ],
    [{ set: 'val' }, /Expected "train" or "test" for set but received "val"/],
    [
      { sampleSize: 6 },
      /Expected an integer from 1 to 5 \(the train set's size\) for sample size but received 6/,
    ],
    [{ mode: 'train' }, /Expected "population" or "batch" for bn but received "train"/],
    [{ tolerance: 0 }, /Expected a number in \(0, 1\) for tolerance but received 0/],
    [{ eigen: 'qr' as never }, /Expected "lanczos" or "power" for eigen but received "qr"/],
    [
      { density: { probes: 1, steps: 1 } },
      /Expected an integer of at least 2 for density steps but received 1/,
    ],
  ];
  for (const [options, message] of bad)
    await assert.rejects(measureSharpness(network, data, { subspace: 4, ...options }), message);
  const one = new Float64Array(1);
  await assert.rejects(
    () =>
      maximiseInBox(
        () => 0,
        () => {},
        one,
        Float64Array.of(1),
        Float64Array.of(-1),
      ),
    /Expected lower <= upper for bounds at 0 but received \[1,-1\]/,
  );
  assert.throws(
    () => new RandomSubspace(3, 4, 0),
    /Expected an integer from 1 to 3 .* for subspace dimension/,
  );
});

test('normal streams: standard normal moments and tail, continued exactly across fills', () => {
  const count = 200000;
  const draws = new Float64Array(count);
  new NormalStreams(5, 'test', 2).fill(1, draws, 0, count);
  let mean = 0;
  let second = 0;
  let fourth = 0;
  let tail = 0;
  for (const x of draws) {
    mean += x / count;
    second += (x * x) / count;
    fourth += x ** 4 / count;
    if (Math.abs(x) > 3.442619855899) tail++;
  }
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(second - 1) < 0.015, `variance ${second}`);
  assert.ok(Math.abs(fourth - 3) < 0.1, `fourth moment ${fourth}`);
  // P(|x| > 3.4426) = 5.76e-4: 115 expected
  assert.ok(tail > 70 && tail < 165, `tail draws ${tail}`);
  const pieces = new NormalStreams(5, 'test', 2);
  const again = new Float64Array(count);
  for (let start = 0; start < count; start += 777)
    pieces.fill(1, again, start, Math.min(777, count - start));
  assert.deepEqual(again, draws);
  const other = new Float64Array(10);
  new NormalStreams(5, 'test', 2).fill(0, other, 0, 10);
  assert.notDeepEqual(other, draws.subarray(0, 10));
});

test('sharpness: Lanczos and power iteration agree on the linear layer; the density is asked for', async () => {
  const { data, network } = linearCase();
  const options = { eps: [1e-3], subspace: 0, iterations: 1, topK: 2, probes: 0 };
  const lanczos = await measureSharpness(network, data, {
    ...options,
    tolerance: 1e-8,
    density: { probes: 3, steps: 9 },
  });
  const power = await measureSharpness(network, data, {
    ...options,
    eigen: 'power',
    powerIterations: 5000,
    tolerance: 1e-12,
  });
  assert.equal(lanczos.hessian.eigen, 'lanczos');
  lanczos.hessian.eigenvalues.forEach((e, i) => {
    close(e.value, power.hessian.eigenvalues[i]!.value, 1e-6, `eigenvalue ${i}`);
    assert.ok(e.residual! < 1e-6, `residual ${e.residual}`);
  });
  const density = lanczos.hessian.density!;
  assert.equal(density.probes.length, 3);
  // 9 steps on 9 parameters: each probe's quadrature is the probe's exact spectral measure
  assert.ok(lanczos.hessian.products <= 9 + 2 + 3 * 9);
});

test("the Hessian is taken over a seeded sample of f's examples when asked", async () => {
  const { data, network } = linearCase();
  const options = { eps: [1e-3], subspace: 0, topK: 1, probes: 2, tolerance: 1e-6 };
  const sampled = await measureSharpness(network, data, { ...options, hessianSampleSize: 3 });
  assert.equal(sampled.hessian.examples, 3);
  assert.equal(sampled.examples, M);
  const all = await measureSharpness(network, data, { ...options, hessianSampleSize: null });
  assert.equal(all.hessian.examples, M);
  assert.notEqual(sampled.hessian.eigenvalues[0]!.value, all.hessian.eigenvalues[0]!.value);
  assert.equal(all.keskar[0]!.sharpness, sampled.keskar[0]!.sharpness);
});

test('gradscope analyze sharpness: --json prints the result, --out writes it, bad values fail', () => {
  const dir = tempDir('gradscope-sharpness-');
  const { data, net } = idxDataAndNetwork(dir, [24, 6], 'tiny');
  const { run: trained, checkpoint } = trainOneEpoch(net, data, path.join(dir, 'run'));
  assert.equal(trained.status, 0, trained.stderr);
  const out = path.join(dir, 'sharpness');
  const base = ['analyze', 'sharpness', '--checkpoint', checkpoint];
  const r = gradscope(
    ...base,
    ...['--eps', '1e-3', '--subspace', '5', '--iterations', '3', '--top-k', '2'],
    ...['--hutchinson', '4', '--json', '--quiet', '--out', out],
    ...['--density', '--density-probes', '2', '--density-steps', '6', '--layers'],
  );
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.kind, 'sharpness');
  assert.deepEqual(
    result.keskar.map((k: { space: string; dimension: number }) => [k.space, k.dimension]),
    [
      ['full', 7850],
      ['subspace', 5],
    ],
  );
  assert.equal(result.hessian.eigenvalues.length, 2);
  assert.equal(result.hessian.trace.probes, 4);
  assert.equal(result.hessian.eigen, 'lanczos');
  for (const e of result.hessian.eigenvalues) assert.ok(e.residual >= 0);
  assert.equal(result.hessian.density.probes.length, 2);
  assert.equal(result.hessian.density.probes[0].nodes.length, 6);
  assert.equal(result.hessian.density.grid.length, result.hessian.density.density.length);
  assert.ok(fs.existsSync(path.join(out, 'sharpness-density.svg')));
  assert.equal(result.hessian.layers.length, 1);
  assert.ok(fs.existsSync(path.join(out, 'sharpness-layers.png')));
  assert.equal(result.hessian.layers[0].size, 7850);
  assert.ok(fs.existsSync(path.join(out, 'sharpness-density.png')));
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'sharpness.json'), 'utf8')), result);
  const bad = gradscope(...base, '--eps', '0,1e-3');
  assert.notEqual(bad.status, 0);
  assert.match(
    bad.stderr.trim(),
    /^gradscope: Expected a comma-separated list of positive numbers for --eps but received "0,1e-3"$/,
  );
  const eigen = gradscope(...base, '--eigen', 'qr');
  assert.match(eigen.stderr.trim(), /Expected lanczos or power for --eigen but received "qr"$/);
  const one = gradscope(...base, '--hutchinson', '1');
  assert.match(
    one.stderr.trim(),
    /Expected 0 \(no trace\) or an integer of at least 2 for --hutchinson/,
  );
});
