/**
 * Experiment B from layer signals (docs/mathematics.md, "Experiment B from layer signals"):
 * both paths of analyzeGradients in population mode, every draw recomputed (signalMemory 0)
 * and every draw built from the cached per-example layer signals, give the same d, draws,
 * histograms, Smith estimates and B_simple: to 1e-6 relative in float64, and in float32 to
 * 1e-5 relative (float32 rounding: the two paths sum the same float32 products in other orders,
 * each gradient entry a sum of hundreds of them; the largest difference seen was 4.4e-7, on
 * ResNet20). The same again with the signals kept in three blocks, one at a time, each draw
 * piece's sum built block by block (signal-blocks.ts). F1, one-hidden-layer networks (batch
 * norm; bias and dropout), C1 and ResNet20,
 * independent and nested draws; batch norms whose gamma signal is read off the next layer's
 * input (gamma and beta away from 1 and 0) and those that hold it. And signals computed at
 * other weights or batch-norm statistics, or on examples standardised since, are refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  analyzeGradients,
  DEFAULT_GRADIENT_ANALYSIS,
  type GradientAnalysis,
  type GradientAnalysisOptions,
  populationChunk,
} from '../../src/analysis/gradient-distribution';
import { parseByteSize } from '../../src/core/byte-size';
import type { StudyData } from '../../src/data/load';
import type { NetworkSpec } from '../../src/engine/layers';
import { activationBytes, LayerSignals, signalBytes } from '../../src/engine/layer-signals';
import { Network, type DType } from '../../src/engine/network';
import { checkAnalysisSchedule } from '../../src/experiments/analysis-schedule';
import { thesisStudy } from '../../src/experiments/config';
import { networkSpec } from '../../src/models';
import { randomStudyData, relativeError, scrambleStatistics } from '../fixtures/helpers';
import { mnistNetwork } from '../fixtures/networks';

const close = (a: number, b: number, what: string, tol: number): void =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(b), 1e-300), `${what}: ${a} vs ${b}`);

async function bothPaths(
  spec: NetworkSpec,
  dtype: DType,
  data: StudyData,
  options: Omit<GradientAnalysisOptions, 'purpose' | 'seed'>,
  prepare?: (net: Network) => void,
  inThreeBlocks = true,
): Promise<{
  recomputed: GradientAnalysis;
  fromSignals: GradientAnalysis;
  inBlocks?: GradientAnalysis;
}> {
  const net = new Network(spec, { seed: 5, dtype });
  scrambleStatistics(net.statistics, net.statisticsTable);
  prepare?.(net);
  const run = (signalMemory: number, notes: string[]) =>
    analyzeGradients(net, data, {
      ...options,
      seed: 2,
      purpose: 'signals',
      signalMemory,
      onNote: (line) => notes.push(line),
    });
  const notes: string[] = [];
  const recomputed = await run(0, notes);
  const fromSignals = await run(2 ** 40, notes);
  assert.deepEqual(notes, []);
  assert.equal(fromSignals.signalBlocks, 1);
  assert.equal(recomputed.signalBlocks, null);
  if (!inThreeBlocks) return { recomputed, fromSignals };
  // the signals in three blocks, one at a time, with a float64 sum per draw piece
  // (signal-blocks.ts), in a budget that holds exactly that
  const size = Math.ceil(data.train.size / 3);
  const pieces = options.samples * new Set(options.batchSizes).size;
  const blockNotes: string[] = [];
  const inBlocks = await analyzeGradients(net, data, {
    ...options,
    chunk: Math.min(options.chunk, size),
    seed: 2,
    purpose: 'signals',
    signalBlock: size,
    signalMemory: signalBytes(net, data.train, size)! + pieces * net.parameterCount * 8,
    onNote: (line) => blockNotes.push(line),
  });
  assert.equal(inBlocks.signalBlocks, 3);
  assert.equal(blockNotes.length, 1);
  assert.match(
    blockNotes[0]!,
    new RegExp(`kept in 3 blocks of ${size} examples \\(.*\\), beside ${pieces} draw sums`),
  );
  return { recomputed, fromSignals, inBlocks };
}

function assertSame(a: GradientAnalysis, b: GradientAnalysis, tol: number): void {
  assert.equal(a.signalBytes, null, 'signal memory 0: every draw recomputed');
  assert.ok(b.signalBytes! > 0, 'the draws were built from layer signals');
  for (const key of ['d', 'gTrainNorm', 'gTestNorm', 'gTotalNorm', 'cosTrainTotal'] as const)
    close(b[key], a[key], key, tol);
  close(b.trainLoss, a.trainLoss, 'train loss', tol);
  close(b.traceF, a.traceF, 'tr(F)', tol);
  close(b.bSimple, a.bSimple, 'B_simple', tol);
  assert.equal(b.batchSizes.length, a.batchSizes.length);
  a.batchSizes.forEach((ra, j) => {
    const rb = b.batchSizes[j]!;
    const B = ra.batchSize;
    assert.equal(rb.draws.length, ra.draws.length);
    ra.draws.forEach((da, k) => {
      const db = rb.draws[k]!;
      assert.deepEqual(db.firstIndices, da.firstIndices, `B=${B} draw ${k}: the same examples`);
      for (const key of ['toTrain', 'toTotal', 'norm', 'cosTotal'] as const)
        close(db[key], da[key], `B=${B} draw ${k} ${key}`, tol);
    });
    assert.deepEqual(rb.histogramToTrain, ra.histogramToTrain, `B=${B} histogram from g_train`);
    assert.deepEqual(rb.histogramToTotal, ra.histogramToTotal, `B=${B} histogram from g_total`);
    close(rb.smithTrace, ra.smithTrace, `B=${B} Smith estimate`, tol);
    close(rb.toTotal.median, ra.toTotal.median, `B=${B} median`, tol);
  });
}

const options = (batchSizes: number[], samples: number, draws: 'independent' | 'nested') => ({
  ...DEFAULT_GRADIENT_ANALYSIS,
  batchSizes,
  samples,
  draws,
  chunk: 64,
  cap: 4,
});

const mnist = (train: number) => randomStudyData(train, 60, [1, 28, 28], 10, 11);
const cifar = (train: number) => randomStudyData(train, 12, [3, 32, 32], 10, 17);
const hidden = mnistNetwork('hidden', { out: 24, batchNorm: true, bias: false });
const hiddenWithBias = mnistNetwork('hidden-bias', { out: 24, dropout: 0.2 });

for (const draws of ['independent', 'nested'] as const) {
  test(`F1 and a one-hidden-layer network, float64, ${draws} draws: both paths equal to 1e-6`, async () => {
    const data = mnist(300);
    for (const spec of [networkSpec('F1'), hidden, hiddenWithBias]) {
      const { recomputed, fromSignals, inBlocks } = await bothPaths(
        spec,
        'float64',
        data,
        options([16, 100, 250], 12, draws),
      );
      assertSame(recomputed, fromSignals, 1e-6);
      assertSame(recomputed, inBlocks!, 1e-6);
    }
  });

  test(`F1 and ResNet20, float32, ${draws} draws: both paths equal within float32 rounding (1e-5)`, async () => {
    const f1 = await bothPaths(
      networkSpec('F1'),
      'float32',
      mnist(300),
      options([16, 100, 250], 12, draws),
    );
    assertSame(f1.recomputed, f1.fromSignals, 1e-5);
    assertSame(f1.recomputed, f1.inBlocks!, 1e-5);
    const resnet = await bothPaths(
      networkSpec('ResNet20'),
      'float32',
      cifar(40),
      options([4, 16, 36], 4, draws),
    );
    assertSame(resnet.recomputed, resnet.fromSignals, 1e-5);
    assertSame(resnet.recomputed, resnet.inBlocks!, 1e-5);
  });

  test(`C1 and ResNet20, float64, ${draws} draws: both paths equal to 1e-6`, async () => {
    const data = cifar(40);
    for (const spec of [networkSpec('C1'), networkSpec('ResNet20')]) {
      const { recomputed, fromSignals, inBlocks } = await bothPaths(
        spec,
        'float64',
        data,
        options([4, 16, 36], 4, draws),
      );
      assertSame(recomputed, fromSignals, 1e-6);
      assertSame(recomputed, inBlocks!, 1e-6);
    }
  });
}

/** Every batch norm's gamma and beta <- gamma(channel, i) and beta(channel, i), i counting
 * the batch norms from 0. */
function setAffine(
  net: Network,
  gamma: (c: number, i: number) => number,
  beta: (c: number, i: number) => number,
): void {
  net.statisticsTable.forEach((s, i) => {
    const entry = (what: string) =>
      net.parameterTable.find((p) => p.name === `${s.layer}.${what}`)!;
    const features = Array.from({ length: s.features }, (_, c) => c);
    net.writeParameters(
      features.map((c) => gamma(c, i)),
      entry('weight').offset,
    );
    net.writeParameters(
      features.map((c) => beta(c, i)),
      entry('bias').offset,
    );
  });
}

// gamma and beta away from their start (1 and 0), |beta| up to 4 |gamma|: gamma's signal
// d x^ is read off the next layer's input (relu(gamma x^ + beta)), none held
const trained = (net: Network) =>
  setAffine(
    net,
    (c, i) => (c % 3 === 0 ? -1 : 1) * (0.3 + ((c * 7 + i) % 11) / 8),
    (c, i) => ((c % 5) - 2) * 0.6 * (0.3 + ((c * 7 + i) % 11) / 8),
  );

for (const dtype of ['float64', 'float32'] as const)
  test(`batch-norm gamma and beta away from 1 and 0, ${dtype}: gamma's signal from the next layer's input, both paths equal`, async () => {
    const tol = dtype === 'float64' ? 1e-6 : 1e-5;
    for (const draws of ['independent', 'nested'] as const)
      for (const [name, data, opts] of [
        ['F1', mnist(300), options([16, 100, 250], 12, draws)],
        ['C1', cifar(40), options([4, 16, 36], 4, draws)],
      ] as const) {
        const both = await bothPaths(networkSpec(name), dtype, data, opts, trained, false);
        assertSame(both.recomputed, both.fromSignals, tol);
      }
  });

test('gamma 0 somewhere, or |beta| over 4 |gamma|: that batch norm holds its gamma signal, both paths equal', async () => {
  const data = mnist(300);
  const cases: [string, (net: Network) => void][] = [
    [
      'a gamma of 0',
      (net) =>
        setAffine(
          net,
          (c) => (c === 5 ? 0 : 1.2),
          () => 0.3,
        ),
    ],
    [
      'beta over 4 gamma',
      (net) =>
        setAffine(
          net,
          () => 0.1,
          (c) => (c === 0 ? 0.5 : 0.2),
        ),
    ],
  ];
  for (const [what, prepare] of cases) {
    const net = new Network(hidden, { seed: 1, dtype: 'float64' });
    prepare(net);
    // per example: d (24) and its batch norm's d x^ (24), the last layer's input (24) and
    // output gradient (10); the hidden layer's input is gathered from the examples
    assert.equal(
      signalBytes(net, data.train, 300),
      (300 * (24 + 24 + 24 + 10) + net.parameterCount + 48) * 8,
      what,
    );
    const { recomputed, fromSignals } = await bothPaths(
      hidden,
      'float64',
      data,
      options([16, 100], 6, 'nested'),
      prepare,
      false,
    );
    assertSame(recomputed, fromSignals, 1e-6);
  }
});

test("C1's signals: its first convolution keeps each example's weight gradient, not its output gradient", () => {
  const net = new Network(networkSpec('C1'), { seed: 1, dtype: 'float32' });
  // per example, in C1's order: conv1 5x5, 3 -> 64 on the examples themselves: its 4800 weights
  // (its output gradient would be 64 x 32 x 32 = 65 536); its batch norm's d and d x^ sums (64
  // each); conv2 5x5, 64 -> 64 at 16 x 16: input and output gradient 16 384 each (its 102 400
  // weights are more); its batch norm's d x^ sums (64; d is conv2's output gradient); the Linear
  // layers 4096 -> 384, 384 -> 192, 192 -> 10: inputs and output gradients (their batch norms'
  // gamma signals read off the next layer's input). Beside them w and the statistics (2 x 704).
  const perExample = 4800 + 128 + 2 * 16384 + 64 + (4096 + 384) + (384 + 192) + (192 + 10);
  assert.equal(perExample, 43018);
  assert.equal(
    signalBytes(net, cifar(10).train, 10),
    (10 * perExample + net.parameterCount + 2 * (64 + 64 + 384 + 192)) * 4,
  );
});

test("a pass that recomputes takes fewer examples at a time where a chunk's layer inputs and outputs pass 1 GiB", () => {
  const c1 = new Network(networkSpec('C1'), { seed: 1, dtype: 'float32' });
  // per example, every Linear, convolution and batch-norm layer's input and output: conv1 3072
  // and 64 x 32 x 32; its batch norm 2 x 65 536; conv2 at 16 x 16 (after the 3x3/2 pool) 2 x
  // 16 384, its batch norm the same; the Linear layers 4096 -> 384, 384 -> 192, 192 -> 10 and
  // the two batch norms between them (2 x 384, 2 x 192)
  const perExample =
    3072 +
    65536 +
    2 * 65536 +
    4 * 16384 +
    (4096 + 384) +
    2 * 384 +
    (384 + 192) +
    2 * 192 +
    (192 + 10);
  assert.equal(perExample, 271626);
  const data = cifar(10).train;
  assert.equal(activationBytes(c1, data), perExample * 4);
  assert.equal(populationChunk(c1, data, 5000), Math.floor(2 ** 30 / (perExample * 4)));
  assert.equal(populationChunk(c1, data, 5000), 988);
  assert.equal(populationChunk(c1, data, 500), 500);
  // F1: 44 kB an example, its chunk of 5000 kept
  const f1 = new Network(networkSpec('F1'), { seed: 1, dtype: 'float32' });
  assert.equal(populationChunk(f1, mnist(10).train, 5000), 5000);
  // float64 doubles the bytes
  const c1d = new Network(networkSpec('C1'), { seed: 1, dtype: 'float64' });
  assert.equal(populationChunk(c1d, data, 5000), Math.floor(2 ** 30 / (perExample * 8)));
});

test("with the default budget, draws of fewer than half the training set's examples recompute them, and one line says so; half or more use the signals", async () => {
  const data = mnist(50);
  const net = new Network(hidden, { seed: 1, dtype: 'float32' });
  const run = async (samples: number, draws: 'independent' | 'nested') => {
    const notes: string[] = [];
    const result = await analyzeGradients(net, data, {
      ...options([8, 16], samples, draws),
      seed: 1,
      purpose: 'worth',
      onNote: (line) => notes.push(line),
    });
    return { result, notes };
  };
  // nested: 1 draw of 16 examples, fewer than 25
  const fewer = await run(1, 'nested');
  assert.equal(fewer.result.signalBytes, null);
  assert.equal(fewer.result.signalBlocks, null);
  assert.deepEqual(fewer.notes, [
    'Experiment B: the draws take 16 examples, fewer than half the 50 training examples whose layer signals they would be built from: each draw recomputes its examples, which costs less (signal memory sets a budget that keeps them)',
  ]);
  // independent: 1 draw of 8 and 1 of 16, 24 examples, recompute too
  assert.equal((await run(1, 'independent')).result.signalBlocks, null);
  // independent: 2 draws of 8 and 2 of 16, 48 examples
  const more = await run(2, 'independent');
  assert.equal(more.result.signalBlocks, 1);
  assert.ok(more.result.signalBytes! > 0);
  assert.deepEqual(more.notes, []);
  // nested, 2 draws of 16: 32
  assert.equal((await run(2, 'nested')).result.signalBlocks, 1);
  // a budget given keeps them whatever the draws take
  const kept = await analyzeGradients(net, data, {
    ...options([8, 16], 1, 'nested'),
    seed: 1,
    purpose: 'worth',
    signalMemory: 2 ** 30,
  });
  assert.equal(kept.signalBlocks, 1);
  close(kept.d, fewer.result.d, 'd', 1e-5);
  close(
    kept.batchSizes[1]!.toTrain.median,
    fewer.result.batchSizes[1]!.toTrain.median,
    'median',
    1e-4,
  );
});

test('signals over the memory allowed: the draws recompute, and one line says what they need', async () => {
  const data = mnist(50);
  const net = new Network(hidden, { seed: 1, dtype: 'float32' });
  const needed = signalBytes(net, data.train, data.train.size)!;
  // per example: the hidden layer's d (24), the last layer's input (24) and output gradient
  // (10), float32; beside them w and the statistics. The hidden layer's input is gathered from
  // the examples themselves, its batch norm's d x^ read off the last layer's input
  assert.equal(needed, (50 * (24 + 24 + 10) + net.parameterCount + 48) * 4);
  const notes: string[] = [];
  const result = await analyzeGradients(net, data, {
    ...options([8], 3, 'independent'),
    seed: 1,
    purpose: 'budget',
    signalMemory: needed - 1,
    onNote: (line) => notes.push(line),
  });
  assert.equal(result.signalBytes, null);
  assert.equal(notes.length, 1);
  const kib = (needed / 1024).toFixed(2);
  assert.ok(
    notes[0]!.includes(`layer signals of 50 examples would need ${kib} KiB, more than`),
    notes[0],
  );
  // nor in blocks: a block is at least a chunk (64 here, so the whole set), beside 3 sums
  const blockKib = ((needed + 3 * net.parameterCount * 8) / 1024).toFixed(2);
  assert.ok(
    notes[0]!.includes(
      `and a block of 50 examples beside the 3 draw sums would need ${blockKib} KiB: each draw recomputes its examples`,
    ),
    notes[0],
  );
});

test('signals computed at other weights or batch-norm statistics are refused', async () => {
  const data = mnist(40);
  const net = new Network(networkSpec('F1'), { seed: 3, dtype: 'float64' });
  scrambleStatistics(net.statistics, net.statisticsTable);
  const indices = Int32Array.of(3, 17, 5, 30);
  net.gradient(data.train, indices, { mode: 'population' });
  const direct = net.readGradients();
  const signals = new LayerSignals(net, data.train, data.train.all());
  signals.gradient(indices);
  assert.ok(relativeError(net.readGradients(), direct) < 1e-12);

  const w = net.readParameters(0, 1);
  net.writeParameters([w[0]! + 1e-9], 0);
  assert.throws(() => signals.gradient(indices), /computed at other parameters/);
  net.writeParameters(w, 0);
  signals.gradient(indices); // the same weights again: accepted
  const stats = net.readStatistics(0, 1);
  net.writeStatistics([stats[0]! + 1e-9], 0);
  assert.throws(() => signals.gradient(indices), /batch-norm statistics/);
  net.writeStatistics(stats, 0);
  signals.gradient(indices);
  assert.ok(relativeError(net.readGradients(), direct) < 1e-12);

  // computed again at the new weights, they give the new gradient
  net.writeParameters([w[0]! + 0.5], 0);
  net.gradient(data.train, indices, { mode: 'population' });
  const moved = net.readGradients();
  const again = new LayerSignals(net, data.train, data.train.all());
  again.gradient(indices);
  assert.ok(relativeError(net.readGradients(), moved) < 1e-12);
  signals.release();
  assert.throws(() => signals.gradient(indices), /released/);
});

test("signals whose examples were standardised since are refused (each draw gathers the first layer's input from them)", async () => {
  const data = mnist(40);
  const net = new Network(networkSpec('F1'), { seed: 3, dtype: 'float64' });
  const indices = Int32Array.of(3, 17, 5, 30);
  const signals = new LayerSignals(net, data.train, data.train.all());
  data.train.standardise({ mean: [0.5], std: [0.25] });
  assert.throws(() => signals.gradient(indices), /examples were standardised since/);
  // computed again on the standardised examples, they give the gradient there
  net.gradient(data.train, indices, { mode: 'population' });
  const direct = net.readGradients();
  const again = new LayerSignals(net, data.train, data.train.all());
  again.gradient(indices);
  assert.ok(relativeError(net.readGradients(), direct) < 1e-12);
});

test('the signals of a subset: example indices map to their rows; others are refused', async () => {
  const data = mnist(40);
  const net = new Network(hidden, { seed: 3, dtype: 'float64' });
  scrambleStatistics(net.statistics, net.statisticsTable);
  const held = Int32Array.of(9, 2, 33, 14, 21);
  const signals = new LayerSignals(net, data.train, held);
  const whole = net.readGradients();
  net.gradient(data.train, held, { mode: 'population' });
  assert.ok(relativeError(whole, net.readGradients()) < 1e-12, 'the pass leaves their mean');
  const draw = Int32Array.of(21, 9);
  net.gradient(data.train, draw, { mode: 'population' });
  const direct = net.readGradients();
  signals.gradient(draw);
  assert.ok(relativeError(net.readGradients(), direct) < 1e-12);
  assert.throws(() => signals.gradient(Int32Array.of(9, 3)), /index 3 at position 1 is not among/);
});

test('the signal memory option: sizes as a user writes them, one line for a bad one', async () => {
  assert.equal(parseByteSize('2G', '--signal-memory'), 2 * 2 ** 30);
  assert.equal(parseByteSize('512M', '--signal-memory'), 512 * 2 ** 20);
  assert.equal(parseByteSize('1.5GiB', '--signal-memory'), 1.5 * 2 ** 30);
  assert.equal(parseByteSize('0', '--signal-memory'), 0);
  assert.equal(parseByteSize(4096, 'analysis.signalMemory'), 4096);
  for (const bad of ['lots', '-1G', '2X', '', -5, 1.5])
    assert.throws(
      () => parseByteSize(bad, '--signal-memory'),
      /^GradscopeInputError: Expected a size in bytes such as 2G, 512M or 0 for --signal-memory/,
    );
  assert.throws(
    () => checkAnalysisSchedule({ ...thesisStudy().analysis, signalMemory: 'much' }),
    /for analysis\.signalMemory but received "much"/,
  );
  const data = mnist(20);
  const net = new Network(hidden, { seed: 1 });
  const analyze = (bad: Partial<GradientAnalysisOptions>) =>
    analyzeGradients(net, data, {
      ...options([4], 1, 'independent'),
      seed: 0,
      purpose: 'x',
      ...bad,
    });
  await assert.rejects(
    () => analyze({ signalMemory: -1 }),
    /non-negative number of bytes for signal memory/,
  );
  for (const bad of [0, -3, 2.5])
    await assert.rejects(
      () => analyze({ signalBlock: bad }),
      /^GradscopeInputError: Expected a positive integer for signal block/,
    );
});
