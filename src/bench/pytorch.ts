/**
 * PyTorch's side of the bench: runs bench/pytorch_bench.py with Debian's PyTorch
 * (or $GRADSCOPE_PYTHON) on the same workloads and device, under given settings. The bench
 * installs nothing: when PyTorch is absent (or cannot use the device) it says so and the
 * table has no ratios.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { NetworkSpec } from '../engine/layers';
import { resolveNetwork } from '../engine/layers';
import { pytorchModule } from '../models/pytorch-module';

export interface PyTorchSettings {
  label: string;
  threads: number | null;
  channelsLast: boolean;
  /** Extra environment, e.g. glibc allocator settings. */
  env: Record<string, string>;
}

export interface BenchWorkload {
  id: string;
  network: NetworkSpec;
  /**
   * A training step; a population-mode gradient of `batch` examples; a population-mode
   * Hessian-vector product; an Experiment B point: `draws` population-mode gradients of
   * `batch` distinct examples each, drawn from a pool of 2 x `batch`, each measured against
   * two fixed vectors in float64 on the device (src/analysis/gradient-distribution.ts,
   * without the whole-set gradients).
   */
  kind: 'step' | 'population-gradient' | 'hessian-vector' | 'experiment-b';
  batch: number;
  chunk: number;
  repeats: number;
  /** experiment-b: the number of draws K. */
  draws?: number;
}

/** The python whose PyTorch the bench runs on `device` ("cpu", "cuda:N"), or why there is none. */
export function pythonWithTorch(
  device = 'cpu',
): { python: string; version: string } | { missing: string } {
  const python = process.env.GRADSCOPE_PYTHON ?? '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0)
    return {
      missing: `PyTorch is not importable from ${python} (install Debian's python3-torch, or set GRADSCOPE_PYTHON)`,
    };
  if (device !== 'cpu') {
    const onDevice = spawnSync(
      python,
      ['-c', `import torch; torch.zeros(1, device=${JSON.stringify(device)})`],
      { encoding: 'utf8' },
    );
    if (onDevice.status !== 0)
      return {
        missing: `PyTorch ${probe.stdout.trim()} from ${python} cannot use ${device} (${onDevice.stderr.trim().split('\n').pop()}; set GRADSCOPE_PYTHON to a python whose PyTorch has CUDA)`,
      };
  }
  return { python, version: probe.stdout.trim() };
}

/** Median milliseconds per workload id. */
export function timePyTorch(
  python: string,
  workloads: BenchWorkload[],
  settings: PyTorchSettings,
  device = 'cpu',
): Map<string, number> {
  const networks: Record<string, unknown> = {};
  for (const w of workloads) {
    const r = resolveNetwork(w.network);
    // what scripts/torch_sequential.py cannot build (residual blocks, global average
    // pooling) is built from the module `gradscope export NET --pytorch` prints
    const sequential = !r.nested && r.layers.every((l) => l.type !== 'globalavgpool');
    networks[w.network.name] = {
      layers: r.layers,
      input: w.network.input,
      classes: w.network.classes,
      ...(sequential ? {} : { module: pytorchModule(w.network) }),
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-bench-'));
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      networks,
      settings: { threads: settings.threads, channels_last: settings.channelsLast, device },
      workloads: workloads.map((w) => ({
        id: w.id,
        network: w.network.name,
        kind: w.kind,
        batch: w.batch,
        chunk: w.chunk,
        repeats: w.repeats,
        draws: w.draws ?? 1,
      })),
    }),
  );
  const script = path.join(__dirname, '..', '..', '..', 'bench', 'pytorch_bench.py');
  const run = spawnSync(python, [script, config], {
    encoding: 'utf8',
    env: { ...process.env, ...settings.env },
    maxBuffer: 1 << 24,
  });
  fs.rmSync(dir, { recursive: true, force: true });
  if (run.status !== 0)
    throw new Error(
      `PyTorch bench failed (${settings.label}): ${run.stderr.trim().split('\n').pop()}`,
    );
  const out = new Map<string, number>();
  for (const line of run.stdout.trim().split('\n')) {
    const r = JSON.parse(line) as { id: string; ms: number };
    out.set(r.id, r.ms);
  }
  return out;
}
