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
import { pytorchModule } from '../../src/models/pytorch-module';
import { random, relativeError } from '../fixtures/helpers';
import { runPythonFile, torchMissing } from '../fixtures/torchscript-fixtures';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-torchscript-gpt-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const CONFIG: GptConfig = { vocabulary: 13, context: 8, layers: 2, heads: 2, width: 8 };

/** argv: module.py weights.safetensors out.ts.pt: the module with those weights, scripted. */
const SCRIPT = `
import importlib.util, json, struct, sys, torch
module, weights, out = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("exported", module)
exported = importlib.util.module_from_spec(spec)
spec.loader.exec_module(exported)
raw = open(weights, "rb").read()
size = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + size])
dtypes = {"F32": torch.float32, "F64": torch.float64}
state = {}
for name, t in header.items():
    if name == "__metadata__":
        continue
    begin, end = t["data_offsets"]
    blob = bytearray(raw[8 + size + begin:8 + size + end])
    state[name] = torch.frombuffer(blob, dtype=dtypes[t["dtype"]]).reshape(t["shape"]).clone()
model = exported.network()
if any(t.dtype == torch.float64 for t in state.values()):
    model = model.double()  # the weights exactly, not rounded to float32
model.load_state_dict(state, strict=True)
torch.jit.script(model).save(out)
`;

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
    runPythonFile(dir, 'script_gpt.py', SCRIPT, module, weights, file);
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
