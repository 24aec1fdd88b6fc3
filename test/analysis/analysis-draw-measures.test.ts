/**
 * Experiment B's sums on the engine's device (src/engine/device-vector.ts) against the host
 * arithmetic they replace, written here again in plain float64 loops: every draw's gradient
 * recomputed with the same indices and read back, g_total, d, the four measures of each draw,
 * the per-layer squares and Smith's estimates. The gradients are the engine's either way; what
 * is checked is the arithmetic on them. Float32 gradients are widened exactly to float64
 * before any sum on both sides, so in both precisions the two agree to float64 summation order:
 * 1e-12 relative (cosines 1e-12 absolute).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  analyzeGradients,
  DEFAULT_GRADIENT_ANALYSIS,
  type GradientAnalysisOptions,
} from '../../src/analysis/gradient-distribution';
import { groupsOf } from '../../src/analysis/layer-blocks';
import type { StudyData } from '../../src/data/load';
import { uniformBatch } from '../../src/data/sampler';
import { DeviceVector, measureGradient, measureVector } from '../../src/engine/device-vector';
import { Network, type DType } from '../../src/engine/network';
import { f1 } from '../../src/models/f1';
import { everyLayer, randomStudyData, scrambleStatistics } from '../fixtures/helpers';

const TOLERANCE = 1e-12;

function close(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) <= TOLERANCE * Math.abs(b), `${what}: ${a} vs ${b}`);
}

/** The measures of x against r and t, and per range list |x_g - r_g|^2, in float64 loops. */
function hostMeasures(x: Float64Array, r: Float64Array, t: Float64Array, groups: number[][][]) {
  let toTrain = 0;
  let toTotal = 0;
  let norm = 0;
  let dot = 0;
  for (let i = 0; i < x.length; i++) {
    toTrain += (x[i]! - r[i]!) ** 2;
    toTotal += (x[i]! - t[i]!) ** 2;
    norm += x[i]! ** 2;
    dot += x[i]! * t[i]!;
  }
  const groupSquares = groups.map((ranges) => {
    let s = 0;
    for (const [offset, size] of ranges)
      for (let i = offset!; i < offset! + size!; i++) s += (x[i]! - r[i]!) ** 2;
    return s;
  });
  return { toTrain, toTotal, norm, dot, groupSquares };
}

async function check(
  dtype: DType,
  mode: 'population' | 'batch',
  draws: 'independent' | 'nested',
  data: StudyData,
  network: () => Network,
): Promise<void> {
  const net = network();
  const groups = groupsOf(net);
  const options: GradientAnalysisOptions = {
    ...DEFAULT_GRADIENT_ANALYSIS,
    batchSizes: [3, 10, 30],
    samples: 4,
    mode,
    draws,
    ghostBatch: 7,
    chunk: 8,
    seed: 5,
    purpose: `host-${dtype}-${mode}-${draws}`,
    groups,
    // the draws' gradients recomputed, as below: what is checked here is the arithmetic on
    // them (the layer-signal path's gradients: analysis-signals.test.ts)
    signalMemory: 0,
  };
  const result = await analyzeGradients(net, data, options);

  // the host computation the device replaced
  const m = data.train.size;
  const mTest = data.test.size;
  const whole = { mode, chunk: mode === 'batch' ? options.ghostBatch : options.chunk };
  const read = () => Float64Array.from(net.readGradients());
  net.gradient(data.train, data.train.all(), whole);
  const gTrain = read();
  net.gradient(data.test, data.test.all(), whole);
  const gTest = read();
  const a = m / (m + mTest);
  const b = mTest / (m + mTest);
  const gTotal = gTrain.map((x, i) => a * x + b * gTest[i]!);
  const zero = new Float64Array(gTrain.length);
  const ranges = groups.map((g) => g.ranges);
  const train = hostMeasures(gTrain, zero, gTotal, ranges);
  const d = Math.sqrt(train.toTotal);
  const totalNorm = Math.sqrt(hostMeasures(gTotal, zero, gTotal, []).norm);
  close(result.d, d, 'd');
  close(result.gTrainNorm, Math.sqrt(train.norm) / d, '|g_train|/d');
  close(result.gTestNorm, Math.sqrt(hostMeasures(gTest, zero, gTotal, []).norm) / d, '|g_test|/d');
  close(result.gTotalNorm, totalNorm / d, '|g_total|/d');
  assert.ok(
    Math.abs(result.cosTrainTotal - train.dot / (Math.sqrt(train.norm) * totalNorm)) <= TOLERANCE,
  );

  const pass = (batchSize: number) => ({
    mode,
    chunk: mode === 'batch' ? batchSize : options.chunk,
  });
  const largest = Math.max(...options.batchSizes);
  const sums = new Map<number, Float64Array>();
  for (const [j, batchSize] of options.batchSizes.entries()) {
    const r = result.batchSizes[j]!;
    const squares: number[] = [];
    const groupSquares = groups.map(() => [] as number[]);
    for (let k = 0; k < options.samples; k++) {
      let g: Float64Array;
      if (draws === 'independent') {
        net.gradient(
          data.train,
          uniformBatch(5, options.purpose, batchSize, k, m),
          pass(batchSize),
        );
        g = read();
      } else {
        const batch = uniformBatch(5, options.purpose, largest, k, m);
        if (mode === 'batch') {
          net.gradient(data.train, batch.subarray(0, batchSize), pass(batchSize));
          g = read();
        } else {
          // B_j g_{B_j} = B_{j-1} g_{B_{j-1}} + (B_j - B_{j-1}) g_segment
          const previous = j === 0 ? 0 : options.batchSizes[j - 1]!;
          const sum = j === 0 ? new Float64Array(gTrain.length) : sums.get(k)!;
          net.gradient(data.train, batch.subarray(previous, batchSize), pass(batchSize));
          const segment = read();
          for (let i = 0; i < sum.length; i++)
            sum[i] = sum[i]! + (batchSize - previous) * segment[i]!;
          sums.set(k, sum);
          g = sum.map((x) => x / batchSize);
        }
      }
      const h = hostMeasures(g, gTrain, gTotal, ranges);
      const draw = r.draws[k]!;
      close(draw.toTrain, Math.sqrt(h.toTrain) / d, `B=${batchSize} draw ${k} |g_B - g_train|/d`);
      close(draw.toTotal, Math.sqrt(h.toTotal) / d, `B=${batchSize} draw ${k} |g_B - g_total|/d`);
      close(draw.norm, Math.sqrt(h.norm) / d, `B=${batchSize} draw ${k} |g_B|/d`);
      const cos = h.dot / (Math.sqrt(h.norm) * totalNorm);
      assert.ok(Math.abs(draw.cosTotal - cos) <= TOLERANCE, `cos: ${draw.cosTotal} vs ${cos}`);
      squares.push(h.toTrain);
      h.groupSquares.forEach((s, q) => groupSquares[q]!.push(s));
    }
    const smith = (xs: number[]) =>
      (batchSize * (xs.reduce((s, x) => s + x, 0) / xs.length)) / (1 - batchSize / m);
    close(r.smithTrace, smith(squares), `B=${batchSize} Smith's estimate`);
    groups.forEach((group, q) => {
      const layer = result.layers![q]!;
      close(layer.gTrainNorm, Math.sqrt(train.groupSquares[q]!) / d, `${group.name} |g_train|/d`);
      const mean =
        groupSquares[q]!.reduce((s, x) => s + Math.sqrt(x), 0) / groupSquares[q]!.length / d;
      close(layer.meanToTrain[j]!.mean, mean, `${group.name} B=${batchSize} mean distance`);
    });
  }
}

for (const dtype of ['float64', 'float32'] as const)
  test(`Experiment B's device sums equal host float64 loops (${dtype}, 1e-12)`, async () => {
    const data = randomStudyData(40, 12, [2, 6, 6], 3, 21);
    const network = () => {
      const net = new Network(everyLayer(), { seed: 17, dtype });
      scrambleStatistics(net.statistics, net.statisticsTable);
      return net;
    };
    await check(dtype, 'population', 'independent', data, network);
    await check(dtype, 'population', 'nested', data, network);
    await check(dtype, 'batch', 'nested', data, network);
  });

test("a million-parameter network's sums run in blocks: F1 against host loops (float32)", async () => {
  // F1 (1.46 million parameters) spans many of the CPU's blocks and every group boundary
  const data = randomStudyData(40, 12, [1, 28, 28], 10, 22);
  await check('float32', 'population', 'nested', data, () => new Network(f1(), { seed: 3 }));
});

test('device vectors: combinations, reads, and vectors of another network refused', () => {
  const data = randomStudyData(20, 4, [2, 6, 6], 3, 23);
  const net = new Network(everyLayer(), { seed: 2, dtype: 'float64' });
  net.gradient(data.train, data.train.all());
  const g = Float64Array.from(net.readGradients());
  const v = new DeviceVector(net).setGradient(net, 3);
  assert.deepEqual(
    v.read(),
    g.map((x) => 3 * x),
  );
  v.addGradient(net, -1);
  assert.deepEqual(
    v.read(),
    g.map((x) => 3 * x - x),
  );
  const w = new DeviceVector(net).setCombination(v, 0.5, v, 0.25);
  assert.deepEqual(
    w.read(),
    g.map((x) => 0.5 * (3 * x - x) + 0.25 * (3 * x - x)),
  );
  const zero = new DeviceVector(net);
  const r = measureVector(v, 2, zero, w);
  const h = hostMeasures(g, new Float64Array(g.length), w.read(), []);
  close(r.normSquared, h.norm, '|v / 2|^2');
  close(measureGradient(net, zero, w).normSquared, h.norm, '|g|^2');
  const other = new Network(f1(), { seed: 2 });
  assert.throws(() => measureGradient(other, zero, w), /cannot be measured against network F1/);
  assert.throws(() => new DeviceVector(other).setCombination(v, 1, w, 1), /cannot be combined/);
  assert.throws(() => measureVector(v, 0, zero, w), /divisor 0 is not positive/);
});
