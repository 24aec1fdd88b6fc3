/**
 * Experiment B against brute force in float64: per-example gradients computed one
 * by one, every reported quantity recomputed from them with the formulas of
 * docs/mathematics.md (histogram counts exactly, the rest to 1e-6 relative); and Smith and Le's
 * prediction E|g_B - g_train|^2 = (1/B - 1/M) tr(F) within sampling error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  analyzeGradients,
  DEFAULT_GRADIENT_ANALYSIS,
} from '../../src/analysis/gradient-distribution';
import type { StudyData } from '../../src/data/load';
import { uniformBatch } from '../../src/data/sampler';
import type { NetworkSpec } from '../../src/engine/layers';
import { Network } from '../../src/engine/network';
import {
  everyLayer,
  randomStudyData,
  scrambleStatistics,
  uniformityChiSquares,
} from '../fixtures/helpers';

const data = (
  train: number,
  testCount: number,
  shape: [number, number, number],
  classes: number,
): StudyData => randomStudyData(train, testCount, shape, classes, 31);

const close = (a: number, b: number, what: string, tol = 1e-6): void =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(b), 1e-300), `${what}: ${a} vs ${b}`);

function perExample(net: Network, set: StudyData['train']): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < set.size; i++) {
    net.gradient(set, Int32Array.of(i), { mode: 'population' });
    out.push(Float64Array.from(net.gradients));
  }
  return out;
}

function mean(
  vectors: Float64Array[],
  rows: ArrayLike<number> = vectors.map((_, i) => i),
): Float64Array {
  const out = new Float64Array(vectors[0]!.length);
  for (let r = 0; r < rows.length; r++) {
    const v = vectors[rows[r]!]!;
    for (let i = 0; i < out.length; i++) out[i] += v[i]! / rows.length;
  }
  return out;
}

const dist = (a: Float64Array, b: Float64Array): number =>
  Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));
const len = (a: Float64Array): number => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
const dotp = (a: Float64Array, b: Float64Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

test('every reported quantity matches brute force (population mode, float64)', async () => {
  const d = data(40, 12, [2, 6, 6], 3);
  const net = new Network(everyLayer(), { seed: 13, dtype: 'float64' });
  scrambleStatistics(net.statistics, net.statisticsTable);
  const options = {
    ...DEFAULT_GRADIENT_ANALYSIS,
    batchSizes: [3, 10, 38],
    samples: 25,
    cap: 2,
    seed: 4,
    purpose: 'brute',
  };
  const result = await analyzeGradients(net, d, options);

  const train = perExample(net, d.train);
  const testGrads = perExample(net, d.test);
  const gTrain = mean(train);
  const gTest = mean(testGrads);
  const M = 40;
  const Mt = 12;
  const gTotal = gTrain.map((x, i) => (M * x + Mt * gTest[i]!) / (M + Mt));
  const unit = dist(gTrain, gTotal);
  close(result.d, unit, 'd');
  close(result.gTrainNorm, len(gTrain) / unit, '|g_train|/d');
  close(result.gTestNorm, len(gTest) / unit, '|g_test|/d');
  close(result.gTotalNorm, len(gTotal) / unit, '|g_total|/d');
  close(result.cosTrainTotal, dotp(gTrain, gTotal) / (len(gTrain) * len(gTotal)), 'cos');

  for (const r of result.batchSizes) {
    const B = r.batchSize;
    const toTrain: number[] = [];
    const toTotal: number[] = [];
    const squares: number[] = [];
    for (let k = 0; k < options.samples; k++) {
      const rows = uniformBatch(options.seed, options.purpose, B, k, M);
      assert.equal(new Set(rows).size, B, 'distinct examples');
      const gB = mean(train, rows);
      toTrain.push(dist(gB, gTrain) / unit);
      toTotal.push(dist(gB, gTotal) / unit);
      squares.push(dist(gB, gTrain) ** 2);
      const draw = r.draws[k]!;
      close(draw.toTrain, toTrain[k]!, `B=${B} draw ${k} |g_B - g_train|/d`);
      close(draw.toTotal, toTotal[k]!, `B=${B} draw ${k} |g_B - g_total|/d`);
      close(draw.norm, len(gB) / unit, `B=${B} draw ${k} |g_B|/d`);
      close(draw.cosTotal, dotp(gB, gTotal) / (len(gB) * len(gTotal)), `B=${B} draw ${k} cos`);
    }
    // histogram counts, exactly
    const bins = (values: number[]) => {
      const counts = new Array(5).fill(0); // [0,.5) [.5,1) [1,1.5) [1.5,2) >=2
      for (const v of values) counts[v >= 2 ? 4 : Math.floor(v / 0.5)]++;
      return counts;
    };
    assert.deepEqual(r.histogramToTrain.counts, bins(toTrain), `B=${B} histogram from g_train`);
    assert.deepEqual(r.histogramToTotal.counts, bins(toTotal), `B=${B} histogram from g_total`);
    const sorted = [...toTotal].sort((a, b) => a - b);
    close(r.toTotal.min, sorted[0]!, 'min');
    close(r.toTotal.max, sorted.at(-1)!, 'max');
    close(r.toTotal.median, sorted[12]!, 'median'); // 25 draws
    close(r.toTotal.mean, toTotal.reduce((s, v) => s + v, 0) / 25, 'mean');
    const smith = (B * (squares.reduce((s, v) => s + v, 0) / 25)) / (1 - B / M);
    close(r.smithTrace, smith, `B=${B} Smith estimate`);
  }
  const traceF = result.batchSizes.reduce((s, r) => s + r.smithTrace, 0) / 3;
  close(result.traceF, traceF, 'tr(F)');
  close(result.bSimple, traceF / len(gTrain) ** 2, 'B_simple');
});

test('batch mode: g_B from one pass of its batch, whole-set gradients from ghost batches', async () => {
  const d = data(30, 10, [2, 6, 6], 3);
  const net = new Network(everyLayer(), { seed: 3, dtype: 'float64' });
  const options = {
    ...DEFAULT_GRADIENT_ANALYSIS,
    mode: 'batch' as const,
    ghostBatch: 7,
    batchSizes: [5],
    samples: 6,
    seed: 1,
    purpose: 'b',
  };
  const result = await analyzeGradients(net, d, options);
  assert.equal(result.ghostBatch, 7);
  // g_train by hand: ghost batches of 7 (7,7,7,7,2), weighted by size
  const ghost = (set: StudyData['train']) => {
    const out = new Float64Array(net.parameterCount);
    for (let s = 0; s < set.size; s += 7) {
      const rows = Int32Array.from({ length: Math.min(7, set.size - s) }, (_, i) => s + i);
      net.gradient(set, rows, { mode: 'batch' });
      for (let i = 0; i < out.length; i++) out[i] += (rows.length / set.size) * net.gradients[i]!;
    }
    return out;
  };
  const gTrain = ghost(d.train);
  const gTest = ghost(d.test);
  const gTotal = gTrain.map((x, i) => (30 * x + 10 * gTest[i]!) / 40);
  const unit = dist(gTrain, gTotal);
  close(result.d, unit, 'd');
  for (let k = 0; k < 6; k++) {
    net.gradient(d.train, uniformBatch(1, 'b', 5, k, 30), { mode: 'batch' });
    const gB = Float64Array.from(net.gradients);
    close(result.batchSizes[0]!.draws[k]!.toTotal, dist(gB, gTotal) / unit, `draw ${k}`);
  }
});

/** A linear model on 3 x 3 inputs, three classes, in float64, and 30 + 10 examples for it. */
function smallLinear() {
  const spec: NetworkSpec = {
    name: 'linear',
    input: [1, 3, 3],
    classes: 3,
    layers: [{ type: 'flatten' }, { type: 'linear', out: 3 }],
  };
  return { d: data(30, 10, [1, 3, 3], 3), net: new Network(spec, { seed: 2, dtype: 'float64' }) };
}

test("Smith and Le's prediction holds within the sampling error", async () => {
  // a small linear model: every quantity cheap, K large
  const { d, net } = smallLinear();
  const K = 4000;
  const B = 6;
  const M = 30;
  const result = await analyzeGradients(net, d, {
    ...DEFAULT_GRADIENT_ANALYSIS,
    batchSizes: [B],
    samples: K,
    purpose: 'smith',
  });
  const train = perExample(net, d.train);
  const gTrain = mean(train);
  const traceF = train.reduce((s, g) => s + dist(g, gTrain) ** 2, 0) / (M - 1);
  const predicted = (1 / B - 1 / M) * traceF;
  const squares = result.batchSizes[0]!.draws.map((x) => (x.toTrain * result.d) ** 2);
  const m = squares.reduce((s, v) => s + v, 0) / K;
  const sd = Math.sqrt(squares.reduce((s, v) => s + (v - m) ** 2, 0) / (K - 1));
  const standardError = sd / Math.sqrt(K);
  // 4 standard errors: a false alarm about once in 16 000 runs (the draws are seeded, so never here)
  assert.ok(
    Math.abs(m - predicted) < 4 * standardError,
    `mean ${m}, predicted ${predicted}, SE ${standardError}`,
  );
  const estimate = result.batchSizes[0]!.smithTrace;
  assert.ok(
    Math.abs(estimate - traceF) < (4 * standardError * B) / (1 - B / M),
    `tr(F) ${traceF}, estimate ${estimate}`,
  );
  assert.ok(
    Math.abs(result.bSimple - result.traceF / (result.gTrainNorm * result.d) ** 2) <
      1e-12 * result.bSimple,
  );
});

test('bad options give one clear error each', async () => {
  const d = data(20, 5, [2, 6, 6], 3);
  const net = new Network(everyLayer());
  const run = (o: object) => () =>
    analyzeGradients(net, d, { ...DEFAULT_GRADIENT_ANALYSIS, batchSizes: [5], purpose: 'x', ...o });
  await assert.rejects(run({ batchSizes: [] }), /non-empty list of batch sizes/);
  await assert.rejects(
    run({ batchSizes: [5, 21] }),
    /batch size 21 is larger than the training set \(20 examples\)/,
  );
  await assert.rejects(run({ batchSizes: [5], samples: 0 }), /integer of at least 1 for samples/);
  await assert.rejects(run({ batchSizes: [5], mode: 'train' }), /for bn/);
});

test('nested draws: every B is uniform without replacement; g_B of prefixes accumulated exactly', async () => {
  // the draw of the largest B, prefixes for the others: inclusion and first-element
  // chi-square as in data-sampler.test.ts (49 degrees of freedom, p = 0.001 point 85.35)
  const n = 50;
  const sizes = [5, 20, 40];
  const draws = 20000;
  for (const batchSize of sizes) {
    const included = new Float64Array(n);
    const first = new Float64Array(n);
    for (let k = 0; k < draws; k++) {
      const prefix = uniformBatch(77, 'nested', 40, k, n).subarray(0, batchSize);
      assert.equal(new Set(prefix).size, batchSize);
      for (const i of prefix) included[i]! += 1;
      first[prefix[0]!]! += 1;
    }
    const { chi2, chi2First } = uniformityChiSquares(included, first, draws, batchSize);
    console.log(
      `nested B=${batchSize}: inclusion chi2 = ${chi2.toFixed(1)}, first ${chi2First.toFixed(1)}`,
    );
    assert.ok(chi2 < 85.35, `inclusion chi2 ${chi2}`);
    assert.ok(chi2First < 85.35, `first-element chi2 ${chi2First}`);
  }

  // the analysis: each B's batch is the prefix of the largest B's draw, its g_B the exact mean
  const d = data(30, 10, [2, 6, 6], 3);
  const net = new Network(everyLayer(), { seed: 13, dtype: 'float64' });
  scrambleStatistics(net.statistics, net.statisticsTable);
  const options = {
    ...DEFAULT_GRADIENT_ANALYSIS,
    batchSizes: [12, 3, 25],
    samples: 4,
    purpose: 'nested',
    draws: 'nested' as const,
  };
  let examples = 0;
  const result = await analyzeGradients(net, d, {
    ...options,
    onDraw: (_b, _k, e) => (examples += e),
  });
  assert.equal(result.draws, 'nested');
  assert.match(result.sampling.method, /^nested/);
  assert.equal(examples, 25 * 4);
  assert.deepEqual(
    result.batchSizes.map((b) => b.batchSize),
    [12, 3, 25],
  );
  const train = perExample(net, d.train);
  const gTrain = mean(train);
  for (const b of result.batchSizes)
    b.draws.forEach((x, k) => {
      const prefix = uniformBatch(0, 'nested', 25, k, 30).subarray(0, b.batchSize);
      assert.deepEqual(x.firstIndices, Array.from(prefix.subarray(0, 4)));
      close(
        x.toTrain * result.d,
        dist(mean(train, prefix), gTrain),
        `B ${b.batchSize} draw ${k}`,
        1e-9,
      );
    });
  // the largest B's draws are those of the independent scheme
  const independent = await analyzeGradients(net, d, { ...options, draws: 'independent' });
  assert.equal(independent.draws, 'independent');
  independent.batchSizes[2]!.draws.forEach((x, k) => {
    const y = result.batchSizes[2]!.draws[k]!;
    assert.deepEqual(x.firstIndices, y.firstIndices);
    close(y.toTrain, x.toTrain, `B 25 draw ${k}, same batch`, 1e-12);
  });
});

test("nested and independent draws agree on each B's mean distance within their standard errors", async () => {
  const { d, net } = smallLinear();
  const options = {
    ...DEFAULT_GRADIENT_ANALYSIS,
    batchSizes: [3, 8, 20],
    samples: 2000,
    purpose: 'agree',
  };
  const nested = await analyzeGradients(net, d, { ...options, draws: 'nested' });
  const independent = await analyzeGradients(net, d, { ...options, purpose: 'agree-2' });
  const K = options.samples;
  const stats = (xs: number[]) => {
    const m = xs.reduce((s, x) => s + x, 0) / K;
    return [m, Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (K - 1) / K)] as const;
  };
  nested.batchSizes.forEach((b, j) => {
    const [m1, se1] = stats(b.draws.map((x) => x.toTrain));
    const [m2, se2] = stats(independent.batchSizes[j]!.draws.map((x) => x.toTrain));
    console.log(
      `B=${b.batchSize}: nested ${m1.toFixed(4)} +- ${se1.toFixed(4)}, independent ${m2.toFixed(4)} +- ${se2.toFixed(4)}`,
    );
    assert.ok(Math.abs(m1 - m2) < 4 * Math.hypot(se1, se2), `B ${b.batchSize}: ${m1} vs ${m2}`);
  });
});
