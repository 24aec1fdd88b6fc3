/**
 * The built-in GPT (src/models/gpt.ts) against nanoGPT's own model written in PyTorch
 * (test/python/nanogpt.py, run by Debian's PyTorch): the same weights give the same per-token
 * loss, next-token accuracy, gradient and Hessian-vector product, to 1e-5 relative in float32
 * and 1e-10 in float64; the same seed gives nanoGPT's initial weights. Then finite differences
 * on a tiny GPT in float64, and bad token input.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import {
  analyzeGradients,
  DEFAULT_GRADIENT_ANALYSIS,
} from '../../src/analysis/gradient-distribution';
import { GradscopeInputError } from '../../src/core/errors';
import type { StudyData } from '../../src/data/load';
import { LayerSignals, signalBytes } from '../../src/engine/layer-signals';
import { loadNetwork, saveNetwork } from '../../src/engine/checkpoint';
import { Dataset } from '../../src/engine/dataset';
import { resolveNetwork, type LayerSpec } from '../../src/engine/layers';
import { stateDict } from '../../src/engine/state-dict';
import { Network, type DType } from '../../src/engine/network';
import { DEFAULT_GPT, gpt, gptSizes, type GptConfig } from '../../src/models/gpt';
import { networkSpec } from '../../src/models';
import { random, relativeError } from '../fixtures/helpers';
import { runPythonFile, torchMissing } from '../fixtures/torchscript-fixtures';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-gpt-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const reference = path.join(__dirname, '..', '..', '..', 'test', 'python', 'nanogpt.py');

const CONFIG: GptConfig = { vocabulary: 13, context: 8, layers: 2, heads: 2, width: 8 };

/** `count` windows of `context + 1` ids drawn uniformly from [0, vocabulary). */
function windows(count: number, context: number, vocabulary: number, seed: number): Int32Array {
  const r = random(seed);
  const ids = new Int32Array(count * (context + 1));
  for (let i = 0; i < ids.length; i++) ids[i] = Math.floor(r() * vocabulary);
  return ids;
}

/** Weights away from the initialisation's special values (unit layer-norm scales, zero biases). */
function scramble(network: Network, seed: number): void {
  const r = random(seed);
  const w = network.readParameters();
  for (const p of network.parameterTable)
    for (let i = p.offset; i < p.offset + p.size; i++)
      w[i] = /ln_|^\d+\.weight$/.test(p.name) ? 1 + 0.3 * (r() - 0.5) : 0.6 * (r() - 0.5);
  network.writeParameters(w);
}

interface Reference {
  initial: number[];
  loss: number;
  accuracy: number;
  gradient: number[];
  hv: number[];
}

function inNanoGpt(
  network: Network,
  config: GptConfig,
  ids: Int32Array,
  context: number,
  v: ArrayLike<number>,
  seed: number,
): Reference {
  const file = path.join(dir, 'args.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      config,
      dtype: network.dtype,
      names: network.parameterTable.map((p) => p.name),
      w: Array.from(network.readParameters()),
      v: Array.from(v),
      windows: Array.from(ids),
      context,
      seed,
    }),
  );
  // run in place: it imports nanoGPT's model from bench/pytorch_bench.py beside it
  const run = `import runpy\nrunpy.run_path(${JSON.stringify(reference)}, run_name="__main__")\n`;
  const out = runPythonFile(dir, 'run_nanogpt.py', run, file);
  return JSON.parse(out.trim().split('\n').pop()!) as Reference;
}

for (const [dtype, tolerance] of [
  ['float32', 1e-5],
  ['float64', 1e-10],
] as [DType, number][]) {
  test(`the built-in GPT equals nanoGPT in PyTorch: loss, gradient, Hessian-vector product (${dtype})`, (t) => {
    if (torchMissing) return t.skip(torchMissing);
    const context = 6; // windows shorter than the model's context of 8: positions 0..5
    const ids = windows(7, context, CONFIG.vocabulary, 3);
    const data = new Dataset('tokens', CONFIG.vocabulary, { windows: ids, context });
    const network = new Network(gpt(CONFIG), { seed: 5, dtype });
    scramble(network, 11);
    const r = random(17);
    const v = network.readParameters().map(() => r() - 0.5);
    const theirs = inNanoGpt(network, CONFIG, ids, context, v, 5);

    const indices = data.all();
    const ours = network.gradient(data, indices);
    const hv = network.readParameters().fill(0);
    network.hessianVector(data, indices, v, hv);
    assert.ok(
      Math.abs(ours.loss - theirs.loss) <= tolerance * theirs.loss,
      `loss ${ours.loss} vs ${theirs.loss}`,
    );
    assert.ok(
      Math.abs(ours.accuracy - theirs.accuracy) < 1e-12,
      `accuracy ${ours.accuracy} vs ${theirs.accuracy}`,
    );
    const gradientError = relativeError(network.readGradients(), theirs.gradient);
    assert.ok(gradientError <= tolerance, `gradient: relative error ${gradientError}`);
    const hvError = relativeError(hv, theirs.hv);
    t.diagnostic(
      `${dtype}: loss ${Math.abs(ours.loss - theirs.loss) / theirs.loss}, gradient ${gradientError}, H v ${hvError} (relative)`,
    );
    assert.ok(hvError <= tolerance, `Hessian-vector product: relative error ${hvError}`);
    // chunks of 2 windows give the same per-token means (every window has T positions)
    const chunked = network.evaluate(data, indices, { chunk: 2 });
    assert.ok(Math.abs(chunked.loss - theirs.loss) <= tolerance * theirs.loss);
    assert.ok(Math.abs(chunked.accuracy - theirs.accuracy) < 1e-12);
    if (dtype === 'float32')
      // GPT(config) after torch.manual_seed(5), nanoGPT's own initialisation
      assert.deepEqual(
        new Network(gpt(CONFIG), { seed: 5 }).readParameters(),
        Float32Array.from(theirs.initial),
      );
  });
}

test('a tiny GPT in float64: its gradient and H v match central differences', (t) => {
  const tiny: GptConfig = { vocabulary: 5, context: 4, layers: 1, heads: 2, width: 4 };
  const data = new Dataset('tokens', 5, { windows: windows(3, 4, 5, 23), context: 4 });
  const network = new Network(gpt(tiny), { seed: 2, dtype: 'float64' });
  scramble(network, 29);
  const all = data.all();
  const w = network.readParameters() as Float64Array;
  const lossAt = (x: Float64Array): number => {
    network.writeParameters(x);
    return network.evaluate(data, all).loss;
  };
  const gradientAt = (x: Float64Array): Float64Array => {
    network.writeParameters(x);
    network.gradient(data, all);
    return network.readGradients() as Float64Array;
  };
  const h = 1e-6;
  const differences = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const plus = Float64Array.from(w);
    const minus = Float64Array.from(w);
    plus[i] += h;
    minus[i] -= h;
    differences[i] = (lossAt(plus) - lossAt(minus)) / (2 * h);
  }
  const gradient = gradientAt(w);
  const gradientError = relativeError(gradient, differences);
  assert.ok(gradientError < 1e-7, `gradient: relative error ${gradientError}`);
  // H v against the central difference of the gradient along v
  const r = random(31);
  const v = w.map(() => r() - 0.5);
  const hv = new Float64Array(w.length);
  network.writeParameters(w);
  network.hessianVector(data, all, v, hv);
  const e = 1e-5;
  const up = gradientAt(w.map((x, i) => x + e * v[i]!));
  const down = gradientAt(w.map((x, i) => x - e * v[i]!));
  const hvDifferences = up.map((x, i) => (x - down[i]!) / (2 * e));
  const hvError = relativeError(hv, hvDifferences);
  assert.ok(hvError < 1e-7, `H v: relative error ${hvError}`);
  t.diagnostic(`central differences: gradient ${gradientError}, H v ${hvError} (relative)`);
});

test('bad token input: an id outside the vocabulary, a window longer than the context, one line each', () => {
  const ids = windows(4, 6, 13, 41);
  ids[2 * 7 + 5] = 13;
  assert.throws(
    () => new Dataset('tokens', 13, { windows: ids, context: 6 }),
    (e: Error) =>
      e instanceof GradscopeInputError &&
      e.message ===
        'tokens: token id 13 at position 5 of window 2 is outside the vocabulary [0, 13)',
  );
  ids[2 * 7 + 5] = -1;
  assert.throws(
    () => new Dataset('tokens', 13, { windows: ids, context: 6 }),
    /token id -1 at position 5 of window 2/,
  );
  assert.throws(
    () => new Dataset('tokens', 13, { windows: new Int32Array(13), context: 6 }),
    (e: Error) =>
      e instanceof GradscopeInputError &&
      /13 token ids do not make windows of context \+ 1 = 7 ids/.test(e.message),
  );
  assert.throws(
    () => new Dataset('tokens', 13, { windows: new Int32Array(14), context: 6, count: 3 }),
    (e: Error) =>
      e instanceof GradscopeInputError && /make 2 windows of 7, not the 3 stated/.test(e.message),
  );
  const long = new Dataset('long', 13, { windows: windows(2, 9, 13, 43), context: 9 });
  const network = new Network(gpt(CONFIG), { seed: 0 });
  for (const pass of [
    () => network.gradient(long, long.all()),
    () => network.evaluate(long, long.all()),
    () =>
      network.hessianVector(long, long.all(), network.readParameters(), network.readParameters()),
  ])
    assert.throws(
      pass,
      (e: Error) =>
        e instanceof GradscopeInputError &&
        e.message ===
          "dataset long has windows of 9 tokens, longer than network GPT's context of 8" &&
        !e.message.includes('\n'),
    );
  const wide = new Dataset('wide', 20, { windows: windows(2, 4, 20, 47), context: 4 });
  assert.throws(
    () => network.evaluate(wide, wide.all()),
    /vocabulary of 20 tokens but network GPT only 13/,
  );
});

test('token windows and images do not mix: a GPT refuses images, an image network token windows', () => {
  const tokens = new Dataset('tokens', 13, { windows: windows(2, 8, 13, 53), context: 8 });
  const images = new Dataset('images', 3, {
    pixels: new Uint8Array(2 * 8),
    labels: Int32Array.of(0, 1),
    shape: [1, 1, 8],
  });
  const language = new Network(gpt(CONFIG), { seed: 0 });
  assert.throws(
    () => language.evaluate(images, images.all()),
    (e: Error) =>
      e instanceof GradscopeInputError &&
      /is a language model, which takes token windows, but dataset images holds images/.test(
        e.message,
      ),
  );
  const linear = new Network(
    {
      name: 'linear',
      input: [1, 1, 8],
      classes: 13,
      layers: [{ type: 'flatten' }, { type: 'linear', out: 13 }],
    },
    { seed: 0 },
  );
  assert.throws(
    () => linear.evaluate(tokens, tokens.all()),
    (e: Error) =>
      e instanceof GradscopeInputError &&
      /takes images but dataset tokens holds token windows/.test(e.message),
  );
  assert.throws(() => tokens.channelStatistics(), GradscopeInputError);
});

test('Experiment B on a GPT: no layer signals (one line, the draws recompute), and no batch norm, so batch and population modes agree', async () => {
  const data: StudyData = {
    name: 'arrays',
    classes: 13,
    train: new Dataset('train', 13, { windows: windows(12, 6, 13, 61), context: 6 }),
    test: new Dataset('test', 13, { windows: windows(6, 6, 13, 67), context: 6 }),
    description: 'random tokens',
    files: [],
  };
  const network = new Network(gpt(CONFIG), { seed: 4, dtype: 'float64' });
  assert.equal(signalBytes(network, data.train, 12), null);
  assert.throws(
    () => new LayerSignals(network, data.train, data.train.all()),
    (e: Error) =>
      e instanceof GradscopeInputError &&
      e.message ===
        'network GPT is a language model (embeddings, attention), which has no layer signals',
  );
  const run = async (mode: 'population' | 'batch', notes: string[]) =>
    analyzeGradients(network, data, {
      ...DEFAULT_GRADIENT_ANALYSIS,
      batchSizes: [2, 6],
      samples: 4,
      mode,
      ghostBatch: 5,
      chunk: 5,
      purpose: 'gpt',
      onNote: (line) => notes.push(line),
    });
  const notes: string[] = [];
  const population = await run('population', notes);
  assert.deepEqual(notes, [
    'Experiment B: GPT is a language model (embeddings, attention), which has no layer signals: each draw recomputes its examples',
  ]);
  assert.equal(population.signalBytes, null);
  const batch = await run('batch', []);
  for (const key of [
    'gTrainNorm',
    'gTestNorm',
    'trainLoss',
    'testLoss',
    'traceF',
    'bSimple',
  ] as const)
    assert.ok(
      Math.abs(batch[key] - population[key]) <= 1e-10 * Math.abs(population[key]),
      `${key}: ${batch[key]} vs ${population[key]}`,
    );
  // the train loss is per token: the mean over 12 windows x 6 positions
  assert.ok(
    Math.abs(population.trainLoss - network.evaluate(data.train, data.train.all()).loss) < 1e-12,
  );
});

test('a GPT layer list is checked: embedding first, head last, heads dividing the width', () => {
  const input: [number, number, number] = [1, 1, 8];
  const spec = (layers: LayerSpec[]) => ({ name: 'bad', input, classes: 13, layers });
  const embedding: LayerSpec = { type: 'embedding', vocabulary: 13, width: 8 };
  const cases: [LayerSpec[], RegExp][] = [
    [
      [{ type: 'flatten' }, embedding, { type: 'head' }],
      /layers\[1\]: an embedding takes token ids, so it must be the first layer/,
    ],
    [
      [embedding, { type: 'head' }, { type: 'layernorm' }],
      /layers\[1\]: a head ends a language model: it must be the last layer/,
    ],
    [
      [embedding, { type: 'block', heads: 3 }, { type: 'head' }],
      /layers\[1\]: 3 heads do not divide the width of 8 features/,
    ],
    [
      [embedding, { type: 'layernorm' }],
      /a language model must end in 13 next-token scores per position/,
    ],
    [
      [{ type: 'flatten' }, { type: 'linear', out: 8 }, { type: 'head' }],
      /layers\[2\]: head needs a \[positions, features\] input/,
    ],
  ];
  for (const [layers, message] of cases)
    assert.throws(
      () => resolveNetwork(spec(layers)),
      (e: Error) => e instanceof GradscopeInputError && message.test(e.message),
      String(message),
    );
  assert.throws(
    () => resolveNetwork({ ...spec([embedding, { type: 'head' }]), input: [3, 8, 8] }),
    /an embedding needs the input \[1, 1, context\]/,
  );
});

test('a GPT checkpoint keeps its weights under nanoGPT-style names', () => {
  const network = new Network(gpt(CONFIG), { seed: 9, dtype: 'float64' });
  scramble(network, 71);
  const file = path.join(dir, 'gpt.safetensors');
  saveNetwork(file, network, { epoch: 1, step: 2, extra: {} });
  const loaded = new Network(gpt(CONFIG), { seed: 0, dtype: 'float64' });
  loadNetwork(file, loaded);
  assert.deepEqual(loaded.readParameters(), network.readParameters());
  assert.deepEqual(
    stateDict(network)
      .map((t) => t.name)
      .slice(0, 5),
    ['0.wte.weight', '0.wpe.weight', '1.ln_1.weight', '1.ln_1.bias', '1.attn.c_attn.weight'],
  );
});

test("a network name sets a GPT's sizes (GPT:layers=2,width=64): the rest DEFAULT_GPT's, bad sizes one line naming --network", () => {
  assert.deepEqual(gptSizes('GPT'), DEFAULT_GPT);
  assert.deepEqual(gptSizes('gpt:vocabulary=63, layers=2,width=64'), {
    ...DEFAULT_GPT,
    vocabulary: 63,
    layers: 2,
    width: 64,
  });
  // the network a study names: nanoGPT's count, 12 w^2 + 13 w a block, (V + T) w + 2 w besides
  const spec = networkSpec('GPT:vocabulary=63,context=64,layers=4,heads=4,width=96');
  const w = 96;
  assert.equal(
    resolveNetwork(spec).parameterCount,
    4 * (12 * w * w + 13 * w) + (63 + 64) * w + 2 * w,
  );
  for (const [name, pattern] of [
    ['GPT:layerz=2', /SIZE one of vocabulary, context, layers, heads, width/],
    ['GPT:width=0', /N a positive integer for --network but received "GPT:width=0"$/],
    ['GPT:width=1.5', /for --network but received "GPT:width=1.5"$/],
    ['GPT:width', /for --network but received "GPT:width"$/],
    ['GPT:heads=3', /^Expected heads that divide the width \(3 heads, width 128\) for --network/],
  ] as const)
    assert.throws(
      () => networkSpec(name),
      (e: unknown) => e instanceof GradscopeInputError && pattern.test(e.message),
      name,
    );
});
