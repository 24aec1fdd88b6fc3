/**
 * TorchScript modules for the tests: `gradscope export NET --pytorch`'s module, given the
 * weights of a gradscope network (a safetensors state_dict, loaded strictly by name) and
 * scripted with torch.jit.script by Debian's PyTorch (/usr/bin/python3, or
 * GRADSCOPE_PYTHON).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Network } from '../src/engine/network';
import { writeSafetensors } from '../src/engine/safetensors';
import { stateDict } from '../src/engine/state-dict';
import { gradscope } from './cli-fixtures';

export const python = process.env.GRADSCOPE_PYTHON ?? '/usr/bin/python3';

/** Why PyTorch tests are skipped here, or undefined when it is importable. */
export const torchMissing =
  spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0
    ? `PyTorch is not importable from ${python}`
    : undefined;

/** Why tests whose Python also needs numpy are skipped here, or undefined. */
export const numpyOrTorchMissing =
  spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status !== 0
    ? `PyTorch and numpy are not importable from ${python}`
    : undefined;

/**
 * Runs the Python program `source` as DIR/NAME (torch.jit.script reads a module's source: a
 * file, not python -c) with `args`; its stdout, after asserting that it exited with 0.
 */
export function runPythonFile(
  dir: string,
  name: string,
  source: string,
  ...args: string[]
): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, source);
  const run = spawnSync(python, [file, ...args], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

/** argv: module.py weights.safetensors out.ts.pt; reads safetensors by hand (no package). */
const SCRIPT = `
import importlib.util, json, struct, sys, torch
module, weights, out = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("exported", module)
exported = importlib.util.module_from_spec(spec)
spec.loader.exec_module(exported)
raw = open(weights, "rb").read()
size = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + size])
dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
state = {}
for name, t in header.items():
    if name == "__metadata__":
        continue
    begin, end = t["data_offsets"]
    blob = bytearray(raw[8 + size + begin:8 + size + end])
    state[name] = torch.frombuffer(blob, dtype=dtypes[t["dtype"]]).reshape(t["shape"]).clone()
model = exported.network()
model.load_state_dict(state, strict=True)
torch.jit.script(model).save(out)
`;

/**
 * DIR/NAME.ts.pt: the scripted export of the built-in network `network` names, holding
 * `network`'s weights and running statistics; its path.
 */
export function scriptedWithWeights(name: string, network: Network, dir: string): string {
  const exported = gradscope('export', name, '--pytorch');
  assert.equal(exported.status, 0, exported.stderr);
  const module = path.join(dir, `${name.toLowerCase()}_module.py`);
  fs.writeFileSync(module, exported.stdout);
  const weights = path.join(dir, `${name}-weights.safetensors`);
  writeSafetensors(weights, stateDict(network), {});
  const file = path.join(dir, `${name}.ts.pt`);
  const run = spawnSync(python, ['-c', SCRIPT, module, weights, file], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return file;
}
