/**
 * The bench's TorchScript modules: a built-in network's `gradscope export NET --pytorch`
 * module, scripted by PyTorch's torch.jit.script and saved, so the bench can time the
 * TorchScript path against the built-in network on the same workload (issue 14's target:
 * at most 1.10x).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { NetworkSpec } from '../engine/layers';
import { pytorchModule } from '../models/pytorch-module';

const SCRIPT = [
  'import importlib.util, sys, torch',
  'spec = importlib.util.spec_from_file_location("exported", sys.argv[1])',
  'exported = importlib.util.module_from_spec(spec)',
  'spec.loader.exec_module(exported)',
  'torch.jit.script(exported.network()).save(sys.argv[2])',
].join('\n');

/** Scripts the exported module of `spec` with `python`'s PyTorch into `dir`; the .ts.pt file. */
export function scriptedNetwork(python: string, spec: NetworkSpec, dir: string): string {
  const stem = path.join(dir, spec.name.replace(/[^A-Za-z0-9_-]/g, '_'));
  fs.writeFileSync(`${stem}_module.py`, pytorchModule(spec));
  fs.writeFileSync(`${stem}_script.py`, SCRIPT);
  const file = `${stem}.ts.pt`;
  const run = spawnSync(python, [`${stem}_script.py`, `${stem}_module.py`, file], {
    encoding: 'utf8',
  });
  if (run.status !== 0)
    throw new Error(
      `scripting ${spec.name} with ${python} failed: ${run.stderr.trim().split('\n').pop()}`,
    );
  return file;
}

/** One workload on a TorchScript module against the built-in network, back to back. */
export interface TorchScriptRow {
  id: string;
  torchscriptMs: number;
  builtInMs: number;
}

/** The bench workloads also timed on a TorchScript module of the same architecture. */
export const SCRIPTED = [
  'F1 step B=256',
  'F1 population gradient N=5000',
  'ResNet20 step B=128',
  'F1 step B=64',
  'ResNet20 step B=8',
];

/** The markdown table of the TorchScript path's cost (target: at most 1.10x). */
export function torchScriptTable(rows: TorchScriptRow[]): string {
  const lines = [
    '| workload | TorchScript module ms | built-in network ms | TorchScript / built-in |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.id} | ${r.torchscriptMs.toFixed(1)} | ${r.builtInMs.toFixed(1)} | ${(r.torchscriptMs / r.builtInMs).toFixed(2)} |`,
    );
  return lines.join('\n');
}
