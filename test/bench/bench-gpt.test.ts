/**
 * The bench's GPT row (issue 30): `gradscope bench` times a training step of the built-in GPT
 * against nanoGPT's model in bench/pytorch_bench.py. Both sides run the same workload: the
 * PyTorch session is asked for the GPT of the row's sizes and batch, and bench/pytorch_bench.py's
 * nanoGPT given gradscope's weights computes gradscope's loss and gradient on the same windows;
 * `bench --quick --only GPT` runs the row on both sides with its arithmetic.
 * No timing is asserted (performance claims live in the bench).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { workloadGflop } from '../../src/bench/flops';
import { gptSizes, sessionConfig } from '../../src/bench/pytorch';
import { workloads } from '../../src/bench/run';
import { Dataset } from '../../src/engine/dataset';
import { Network } from '../../src/engine/network';
import { f1 } from '../../src/models/f1';
import { DEFAULT_GPT, gpt, type GptConfig } from '../../src/models/gpt';
import { gradscope } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { random, relativeError } from '../fixtures/helpers';
import { runPythonFile, torchMissing } from '../fixtures/torchscript-fixtures';

const benchScript = path.join(__dirname, '..', '..', '..', 'bench', 'pytorch_bench.py');

const SETTINGS = { label: '1 thread', threads: 1, channelsLast: false, env: {} };

test('the GPT row asks PyTorch for nanoGPT of the built-in GPT sizes on 64 windows', () => {
  const w = workloads(false).find((x) => x.id === 'GPT step B=64');
  assert.ok(w, 'GPT step B=64 is a bench row');
  assert.deepEqual(sessionConfig(w, SETTINGS, 'cpu'), {
    networks: {
      GPT: {
        gpt: { vocabulary: 256, context: 64, layers: 4, heads: 4, width: 128, bias: true },
      },
    },
    settings: { threads: 1, channels_last: false, device: 'cpu' },
    workload: { id: 'GPT step B=64', network: 'GPT', kind: 'step', batch: 64 },
  });
  assert.deepEqual(gptSizes(gpt(DEFAULT_GPT)), { ...DEFAULT_GPT, bias: true });
  // only a list that is a GPT of src/models/gpt.ts is built as nanoGPT
  assert.equal(gptSizes(f1()), null);
  const noFinalNorm = gpt(DEFAULT_GPT);
  noFinalNorm.layers.splice(noFinalNorm.layers.length - 2, 1);
  assert.equal(gptSizes(noFinalNorm), null);
  assert.throws(
    () => sessionConfig({ ...w, network: noFinalNorm }, SETTINGS, 'cpu'),
    /not a GPT of src\/models\/gpt.ts/,
  );
});

/** Loads bench/pytorch_bench.py as a module, builds its nanoGPT of `sizes`, gives it the
 * weights w (gradscope's order, names mapped as src/engine/layers.ts says) and prints the loss
 * of its forward on the windows and the gradient in gradscope's order. */
const DRIVER = `
import importlib.util, json, sys, torch
spec = importlib.util.spec_from_file_location("pytorch_bench", sys.argv[1])
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
args = json.load(open(sys.argv[2]))
sizes = args["sizes"]
model = bench.nanogpt(sizes)
named = dict(model.named_parameters())

def nanogpt_name(name):
    index, rest = name.split(".", 1)
    index = int(index)
    if index == 0:
        return "transformer." + rest
    if index <= sizes["layers"]:
        return "transformer.h.%d.%s" % (index - 1, rest)
    return "transformer.ln_f." + rest

params = [named[nanogpt_name(n)] for n in args["names"]]
assert len(params) == len(named)
w = torch.tensor(args["w"], dtype=torch.float32)
with torch.no_grad():
    offset = 0
    for p in params:
        p.copy_(w[offset:offset + p.numel()].view_as(p))
        offset += p.numel()
windows = torch.tensor(args["windows"], dtype=torch.long).view(-1, sizes["context"] + 1)
_, loss = model(windows[:, :-1].contiguous(), windows[:, 1:].contiguous())
loss.backward()
print(json.dumps({"loss": loss.item(), "gradient": torch.cat([p.grad.reshape(-1) for p in params]).tolist()}))
`;

test("bench/pytorch_bench.py's nanoGPT with gradscope's weights: the same loss and gradient", (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const sizes: Required<GptConfig> = {
    vocabulary: 17,
    context: 6,
    layers: 2,
    heads: 2,
    width: 8,
    bias: true,
  };
  const network = new Network(gpt(sizes), { seed: 3 });
  const r = random(7);
  network.writeParameters(network.readParameters().map(() => 0.8 * (r() - 0.5)));
  const ids = Int32Array.from({ length: 5 * 7 }, () => Math.floor(r() * 17));
  const data = new Dataset('tokens', 17, { windows: ids, context: 6 });
  const ours = network.gradient(data, data.all(), { mode: 'train' });

  const dir = tempDir('gradscope-bench-gpt-');
  const args = path.join(dir, 'args.json');
  fs.writeFileSync(
    args,
    JSON.stringify({
      sizes,
      names: network.parameterTable.map((p) => p.name),
      w: Array.from(network.readParameters()),
      windows: Array.from(ids),
    }),
  );
  const out = runPythonFile(dir, 'driver.py', DRIVER, benchScript, args);
  const theirs = JSON.parse(out.trim().split('\n').pop()!) as { loss: number; gradient: number[] };
  assert.ok(
    Math.abs(ours.loss - theirs.loss) <= 1e-5 * theirs.loss,
    `loss ${ours.loss} vs ${theirs.loss}`,
  );
  const error = relativeError(network.readGradients(), theirs.gradient);
  assert.ok(error <= 1e-5, `gradient: relative error ${error}`);
});

test('bench --quick --only GPT: a GPT training step on both sides, with its GFLOP', (t) => {
  if (torchMissing) return t.skip(torchMissing);
  const dir = tempDir('gradscope-bench-gpt-');
  const out = path.join(dir, 'results.json');
  const r = gradscope('bench', '--quick', '--only', 'GPT', '--out', out, '--quiet');
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(fs.readFileSync(out, 'utf8')) as {
    rows: {
      id: string;
      gradscopeMs: number;
      pytorchBestMs: number | null;
      gflop: { gradscope: number; pytorch: number };
    }[];
  };
  assert.deepEqual(
    results.rows.map((row) => row.id),
    ['GPT step B=4'],
  );
  const [row] = results.rows;
  assert.ok(row!.gradscopeMs > 0);
  // PyTorch ran nanoGPT (a failure to build it fails the bench)
  assert.ok(row!.pytorchBestMs !== null && row!.pytorchBestMs > 0);
  // 4 windows of 64 tokens, 3 x 113 246 208 FLOP a window (bench-flops.test.ts counts it)
  const expected = (4 * 3 * 113_246_208) / 1e9;
  const w = workloads(true).find((x) => x.id === 'GPT step B=4')!;
  const counted = workloadGflop(w, false);
  assert.ok(Math.abs(counted - expected) <= 1e-12 * expected);
  assert.deepEqual(row!.gflop, { gradscope: counted, pytorch: counted });
  assert.match(r.stdout, /\| GPT step B=4 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
});
