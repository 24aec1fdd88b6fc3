/**
 * PyTorch's side of the bench: runs bench/pytorch_bench.py with Debian's PyTorch
 * (or $GRADSCOPE_PYTHON) on the same workloads and device, under given settings, one process
 * per workload and setting, timed in batches that alternate with gradscope's. The bench
 * installs nothing: when PyTorch is absent (or cannot use the device) it says so and the
 * table has no ratios.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createInterface } from 'readline';
import { pythonString } from '../core/quote';
import type { NetworkSpec } from '../engine/layers';
import { resolveNetwork } from '../engine/layers';
import { gpt, type GptConfig } from '../models/gpt';
import { pytorchModule } from '../models/pytorch-module';
import type { RunPace, SettingBatch } from './setting-rounds';

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
   * without the whole-set gradients); or a whole Experiment B point as a study's analysis
   * runs it in population mode with nested draws (`point`: g_train and g_test over sets of
   * the data's sizes, then `draws` batches of the largest B whose prefixes serve the smaller B).
   */
  kind: 'step' | 'population-gradient' | 'hessian-vector' | 'experiment-b' | 'experiment-b-point';
  batch: number;
  chunk: number;
  repeats: number;
  /** experiment-b and experiment-b-point: the number of draws K. */
  draws?: number;
  /** experiment-b-point: the training and test sets' sizes and the batch sizes B. */
  point?: { train: number; test: number; batchSizes: number[] };
  /** An untimed run before each batch of timings (default true); a run of many chunks needs
   * none (its first chunk regrows the heap given back after the last batch). */
  warmUp?: boolean;
  /** Untimed runs before each batch when `warmUp` (default 1): 2 where the heap still grows in
   * a process's second run (C1 at 5000 examples: 2.3 million page faults in the first run,
   * 0.26-0.36 million in the second, none after, on either side). */
  warmUpRuns?: number;
  /** The most rounds its repeats are split into (default 3): 1 for a workload whose batches
   * each pay a long regrowth of the heap. */
  rounds?: number;
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
      ['-c', `import torch; torch.zeros(1, device=${pythonString(device)})`],
      { encoding: 'utf8' },
    );
    if (onDevice.status !== 0)
      return {
        missing: `PyTorch ${probe.stdout.trim()} from ${python} cannot use ${device} (${onDevice.stderr.trim().split('\n').pop()}; set GRADSCOPE_PYTHON to a python whose PyTorch has CUDA)`,
      };
  }
  return { python, version: probe.stdout.trim() };
}

/**
 * A PyTorch process (bench/pytorch_bench.py) holding one workload built under `settings`,
 * timed in batches on request: the bench alternates its batches with gradscope's own.
 */
export class PyTorchSession {
  private constructor(
    private readonly child: ChildProcess,
    private readonly lines: AsyncIterator<string>,
    private readonly failure: () => Promise<Error>,
    private readonly dir: string,
  ) {}

  /** Starts PyTorch on `w` and waits until its model and data are built. */
  static async start(
    python: string,
    w: BenchWorkload,
    settings: PyTorchSettings,
    device = 'cpu',
  ): Promise<PyTorchSession> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-bench-'));
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify(sessionConfig(w, settings, device)));
    const script = path.join(__dirname, '..', '..', '..', 'bench', 'pytorch_bench.py');
    const child = spawn(python, [script, config], {
      env: { ...process.env, ...settings.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // a process that died answers through failure(), not as an unhandled pipe error
    child.stdin.on('error', () => undefined);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => (stderr += text));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const failure = async (): Promise<Error> => {
      await exited;
      const last = stderr.trim().split('\n').pop() || 'it stopped without saying why';
      return new Error(`PyTorch bench failed (${settings.label}): ${last}`);
    };
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const session = new PyTorchSession(child, lines, failure, dir);
    await session.next();
    return session;
  }

  /** `warmUp` untimed runs (true: one), then `repeats` timed ones: their
   * milliseconds and each run's time at the end of each chunk; or, once a run falls behind
   * `pace` (src/bench/setting-rounds.ts), where it was stopped. A run stopped within a chunk,
   * at that chunk's allowance, ends the process. */
  async time(
    repeats: number,
    options: { warmUp?: boolean | number; pace?: RunPace | null } = {},
  ): Promise<SettingBatch> {
    const request = {
      repeats,
      warmUp: Number(options.warmUp ?? true),
      paceMs: options.pace?.paceMs ?? null,
    };
    this.child.stdin!.write(`${JSON.stringify(request)}\n`);
    const answer = await this.next();
    return typeof answer.stoppedAtMs === 'number'
      ? { stoppedAtMs: answer.stoppedAtMs }
      : { ms: answer.ms as number[], ticksMs: answer.ticksMs as number[][] };
  }

  /** Ends the process and removes its files. */
  close(): void {
    this.child.stdin!.end();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async next(): Promise<Record<string, unknown>> {
    const line = await this.lines.next();
    if (line.done) throw await this.failure();
    return JSON.parse(line.value) as Record<string, unknown>;
  }
}

/**
 * The sizes of a language model's layer list when it is a GPT of src/models/gpt.ts (which
 * bench/pytorch_bench.py builds as nanoGPT's GPT); null for any other list.
 */
export function gptSizes(spec: NetworkSpec): Required<GptConfig> | null {
  const r = resolveNetwork(spec);
  const [embedding] = r.layers;
  const blocks = r.layers.filter((l) => l.type === 'block');
  if (!r.language || embedding?.type !== 'embedding' || blocks.length === 0) return null;
  const sizes = {
    vocabulary: embedding.in!,
    context: embedding.context!,
    layers: blocks.length,
    heads: blocks[0]!.heads!,
    width: embedding.out!,
    bias: blocks[0]!.bias!,
  };
  return JSON.stringify(gpt(sizes)) === JSON.stringify({ ...spec, name: 'GPT' }) ? sizes : null;
}

/** bench/pytorch_bench.py's configuration for one workload. */
export function sessionConfig(
  w: BenchWorkload,
  settings: PyTorchSettings,
  device: string,
): unknown {
  const r = resolveNetwork(w.network);
  if (r.language) {
    const sizes = gptSizes(w.network);
    if (!sizes)
      throw new Error(
        `bench: ${w.network.name} is a language model but not a GPT of src/models/gpt.ts, the one language model bench/pytorch_bench.py builds`,
      );
    return {
      networks: { [w.network.name]: { gpt: sizes } },
      settings: { threads: settings.threads, channels_last: settings.channelsLast, device },
      workload: { id: w.id, network: w.network.name, kind: w.kind, batch: w.batch },
    };
  }
  // what scripts/torch_sequential.py cannot build (residual blocks, global average
  // pooling) is built from the module `gradscope export NET --pytorch` prints
  const sequential = !r.nested && r.layers.every((l) => l.type !== 'globalavgpool');
  return {
    networks: {
      [w.network.name]: {
        layers: r.layers,
        input: w.network.input,
        classes: w.network.classes,
        ...(sequential ? {} : { module: pytorchModule(w.network) }),
      },
    },
    settings: { threads: settings.threads, channels_last: settings.channelsLast, device },
    workload: {
      id: w.id,
      network: w.network.name,
      kind: w.kind,
      batch: w.batch,
      chunk: w.chunk,
      draws: w.draws ?? 1,
      ...(w.point
        ? { train: w.point.train, test: w.point.test, batch_sizes: w.point.batchSizes }
        : {}),
    },
  };
}
