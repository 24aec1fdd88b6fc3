/**
 * Per-layer views against the dense Hessian of a small float64 network: the groups
 * partition w; Hutchinson's block traces add up exactly to the full estimate with the same
 * probes and lie within their errors of the dense blocks' traces; each block's top
 * eigenvalue by Lanczos equals the dense block's (Jacobi) to 1e-8; per-layer noise adds
 * up to the whole.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { writeGradientOutputs } from '../../src/report/gradient-outputs';
import {
  analyzeGradients,
  DEFAULT_GRADIENT_ANALYSIS,
} from '../../src/analysis/gradient-distribution';
import { hutchinsonTrace } from '../../src/analysis/hessian';
import { blockCurvature, groupsOf } from '../../src/analysis/layer-blocks';
import { symmetricEigen } from '../../src/analysis/symmetric-eigen';
import { Network } from '../../src/engine/network';
import { gradientTablesMarkdown } from '../../src/report/gradient-tables';
import { tempDir } from '../fixtures/data-fixtures';
import { denseHessian, smallNetwork } from '../fixtures/hessian-fixtures';
import { everyLayer, randomStudyData, scrambleStatistics } from '../fixtures/helpers';

test('block traces and top eigenvalues against the dense Hessian', async () => {
  const { network, apply, n } = smallNetwork();
  const groups = groupsOf(network);
  assert.deepEqual(
    groups.map((g) => g.name),
    ['1 linear (1.weight)', '2 batchnorm1d (2.weight, 2.bias)', '4 linear (4.weight, 4.bias)'],
  );
  // a partition of w
  const covered = new Int32Array(n);
  for (const g of groups)
    for (const [o, s] of g.ranges) for (let i = o; i < o + s; i++) covered[i]!++;
  assert.ok(covered.every((c) => c === 1));

  const h = denseHessian(apply, n);
  const probes = 400;
  const r = await blockCurvature(apply, n, groups, {
    probes,
    maxSteps: 100,
    tolerance: 1e-10,
    seed: 3,
  });
  // the same probes as hutchinsonTrace: the block estimates add up to its estimate
  const full = await hutchinsonTrace(apply, n, probes, 3);
  const sum = r.blocks.reduce((s, b) => s + b.trace, 0);
  assert.ok(Math.abs(sum - full.trace) <= 1e-12 * Math.abs(full.trace), `${sum} vs ${full.trace}`);
  assert.ok(Math.abs(r.trace - full.trace) <= 1e-12 * Math.abs(full.trace));
  assert.ok(Math.abs(r.standardError - full.standardError) <= 1e-9 * full.standardError);
  let denseTrace = 0;
  for (let i = 0; i < n; i++) denseTrace += h[i * n + i]!;
  let blockSum = 0;
  groups.forEach((g, j) => {
    const idx = g.ranges.flatMap(([o, s]) => Array.from({ length: s }, (_, k) => o + k));
    const m = idx.length;
    const block = new Float64Array(m * m);
    idx.forEach((a, x) => idx.forEach((b, y) => (block[x * m + y] = h[a * n + b]!)));
    const exact = symmetricEigen(block, m);
    const blockTrace = idx.reduce((s, a) => s + h[a * n + a]!, 0);
    blockSum += blockTrace;
    const b = r.blocks[j]!;
    assert.ok(
      Math.abs(b.topEigenvalue - exact.values[0]!) <= 1e-8 * Math.abs(exact.values[0]!),
      `${g.name}: ${b.topEigenvalue} vs ${exact.values[0]}`,
    );
    assert.ok(
      Math.abs(b.trace - blockTrace) < 4 * b.standardError,
      `${g.name}: trace ${b.trace} vs ${blockTrace} (se ${b.standardError})`,
    );
  });
  assert.ok(Math.abs(blockSum - denseTrace) <= 1e-8 * Math.abs(denseTrace));
});

test('per-layer gradient noise adds up to the whole and appears in the tables', async () => {
  const d = randomStudyData(30, 10, [2, 6, 6], 3, 31);
  const net = new Network(everyLayer(), { seed: 13, dtype: 'float64' });
  scrambleStatistics(net.statistics, net.statisticsTable);
  const groups = groupsOf(net);
  const result = await analyzeGradients(net, d, {
    ...DEFAULT_GRADIENT_ANALYSIS,
    batchSizes: [3, 12],
    samples: 6,
    purpose: 'layers',
    groups,
  });
  const layers = result.layers!;
  assert.equal(layers.length, groups.length);
  const traceSum = layers.reduce((s, l) => s + l.traceF, 0);
  assert.ok(Math.abs(traceSum - result.traceF) <= 1e-9 * result.traceF);
  const normSquares = layers.reduce((s, l) => s + l.gTrainNorm ** 2, 0);
  assert.ok(Math.abs(normSquares - result.gTrainNorm ** 2) <= 1e-9 * result.gTrainNorm ** 2);
  // per B: sum_g |x_g|^2 = |x|^2 draw by draw, so the mean distances are bounded by the whole's
  layers.forEach((l) =>
    l.meanToTrain.forEach((x, j) =>
      assert.ok(x.mean <= result.batchSizes[j]!.toTrain.mean + 1e-12),
    ),
  );
  const md = gradientTablesMarkdown([{ label: 'p', phase: 'p', epoch: 0, analysis: result }]);
  assert.match(md, /\| parameter group \| size \| abs\(g_train\)\/d \|/);
  assert.match(md, /\| 0 conv2d \(0\.weight, 0\.bias\) \|/);
  const dir = tempDir('gradscope-layers-');
  writeGradientOutputs(dir, [{ label: 'p', phase: 'p', epoch: 0, analysis: result }]);
  assert.ok(fs.existsSync(path.join(dir, 'gradients-layers.svg')));
  assert.ok(fs.existsSync(path.join(dir, 'gradients-layers.png')));
});
