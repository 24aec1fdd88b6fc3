/**
 * TorchScript language models: a module taking int64 token ids [N, T] and returning logits
 * [N, T, V] runs through the TorchScript path. `gradscope export` of a GPT, scripted by
 * PyTorch with the built-in GPT's weights, gives the built-in GPT's per-token loss, next-token
 * accuracy, gradient and Hessian-vector product (float32 and float64).
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { Dataset } from '../../src/engine/dataset';
import { Network, type DType } from '../../src/engine/network';
import { writeSafetensors } from '../../src/engine/safetensors';
import { stateDict } from '../../src/engine/state-dict';
import { torchScriptSpec } from '../../src/engine/torchscript';
import { gpt, type GptConfig } from '../../src/models/gpt';
import { networkSpec } from '../../src/models';
import { readMetrics, type EpochRecord } from '../../src/store/metrics';
import { gradscope } from '../fixtures/cli-fixtures';
import { pytorchModule } from '../../src/models/pytorch-module';
import { random, relativeError } from '../fixtures/helpers';
import { scriptWithWeights, torchMissing } from '../fixtures/torchscript-fixtures';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-torchscript-gpt-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const CONFIG: GptConfig = { vocabulary: 13, context: 8, layers: 2, heads: 2, width: 8 };

for (const [dtype, tolerance] of [
  ['float32', 1e-5],
  ['float64', 1e-10],
] as [DType, number][]) {
  test(`a scripted nanoGPT-style module gives the built-in GPT's numbers with its weights (${dtype})`, (t) => {
    if (torchMissing) return t.skip(torchMissing);
    const spec = gpt(CONFIG);
    const builtIn = new Network(spec, { seed: 3, dtype });
    const r = random(7);
    builtIn.writeParameters(builtIn.readParameters().map((x) => x + 0.2 * (r() - 0.5)));
    const module = path.join(dir, 'gpt_module.py');
    fs.writeFileSync(module, pytorchModule(spec));
    const weights = path.join(dir, `gpt-${dtype}.safetensors`);
    writeSafetensors(weights, stateDict(builtIn), {});
    const file = path.join(dir, `gpt-${dtype}.ts.pt`);
    scriptWithWeights(module, weights, file);
    const scripted = new Network(torchScriptSpec(file), { dtype });
    assert.deepEqual(
      scripted.parameterTable.map((p) => p.name),
      builtIn.parameterTable.map((p) => p.name),
    );
    assert.deepEqual(scripted.readParameters(), builtIn.readParameters());

    const ids = new Int32Array(6 * 7).map(() => Math.floor(r() * CONFIG.vocabulary));
    const data = new Dataset('tokens', CONFIG.vocabulary, { windows: ids, context: 6 });
    const all = data.all();
    const v = builtIn.readParameters().map(() => r() - 0.5);
    const measure = (network: Network) => {
      const m = network.gradient(data, all, { mode: 'population' });
      const g = network.readGradients();
      const hv = network.readParameters().fill(0);
      network.hessianVector(data, all, v, hv);
      const logits = network.logits(data, all);
      return { m, g, hv, logits };
    };
    const ours = measure(builtIn);
    const theirs = measure(scripted);
    assert.equal(theirs.logits.length, 6 * 6 * CONFIG.vocabulary, 'logits [N, T, V]');
    assert.ok(Math.abs(theirs.m.loss - ours.m.loss) <= tolerance * ours.m.loss);
    assert.equal(theirs.m.accuracy, ours.m.accuracy);
    const gradientError = relativeError(theirs.g, ours.g);
    const hvError = relativeError(theirs.hv, ours.hv);
    t.diagnostic(`${dtype}: gradient ${gradientError}, H v ${hvError} (relative)`);
    assert.ok(gradientError <= tolerance, `gradient: ${gradientError}`);
    assert.ok(hvError <= tolerance, `H v: ${hvError}`);
  });
}

test('from the command line, MODULE.pt:context=N trains on token data as the built-in GPT of its weights', (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const name = 'GPT:vocabulary=13,context=8,layers=1,heads=2,width=8';
  const spec = networkSpec(name);
  const builtIn = new Network(spec, { seed: 5 }); // as `train --seed 5` starts it
  const module = path.join(dir, 'lm_module.py');
  fs.writeFileSync(module, pytorchModule(spec));
  const weights = path.join(dir, 'lm.safetensors');
  writeSafetensors(weights, stateDict(builtIn), {});
  const file = path.join(dir, 'lm.ts.pt');
  scriptWithWeights(module, weights, file);
  const corpus = path.join(dir, 'corpus.txt');
  const r = random(11);
  fs.writeFileSync(
    corpus,
    Array.from({ length: 700 }, () => 'abcdefghij '[Math.floor(r() * 11)]).join(''),
  );
  const train = (network: string, out: string) => {
    const run = gradscope(
      ...['train', '--network', network, '--data', `chars:${corpus}`, '--epochs', '1'],
      ...['--batch-size', '8', '--seed', '5', '--threads', '1', '--noise-scale-every', '0'],
      ...['--quiet', '--out', out],
    );
    assert.equal(run.status, 0, run.stderr);
    return readMetrics(path.join(out, 'metrics.jsonl')).find(
      (m): m is EpochRecord => m.kind === 'epoch',
    )!;
  };
  const ours = train(name, path.join(dir, 'built-in-run'));
  const theirs = train(`${file}:context=8`, path.join(dir, 'scripted-run'));
  for (const q of ['trainLoss', 'testLoss'] as const)
    assert.ok(
      Math.abs(theirs[q] - ours[q]) <= 1e-5 * ours[q],
      `${q}: ${theirs[q]} against ${ours[q]}`,
    );
  // an analysis takes the module's own weights, as for any TorchScript --network
  const analysed = gradscope(
    ...['analyze', 'gradients', '--network', `${file}:context=8`, '--data', `chars:${corpus}`],
    ...['--batch-sizes', '8', '--samples', '2', '--threads', '1', '--json', '--quiet'],
  );
  assert.equal(analysed.status, 0, analysed.stderr);
  const bad = gradscope('train', '--network', `${file}:context=0`, '--data', 'kjv');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /MODULE\.pt:context=N with N a positive integer .* for --network/);
});
