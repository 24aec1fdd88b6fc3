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
import { Dataset } from '../../src/engine/dataset';
import { Network, type DType } from '../../src/engine/network';
import { gpt, type GptConfig } from '../../src/models/gpt';
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
  const out = runPythonFile(dir, 'run_nanogpt.py', fs.readFileSync(reference, 'utf8'), file);
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
