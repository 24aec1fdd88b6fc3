/**
 * `gradscope bench`: training steps (forward + backward + Adam) of F1 and C1 at
 * batch 256 and 5000, population-mode gradients of 5000 examples, a population-mode
 * Hessian-vector product of F1 on 5000 examples (double backward), an Experiment B
 * point of C1 (K = 3 population-mode gradients of B = 5000 drawn examples) and C1's
 * population gradient over CIFAR's whole training-set size (50000, chunks of 5000),
 * a ResNet20 training step at B = 128 (He et al.'s batch) and its population gradient,
 * timed for gradscope and for PyTorch in the same invocation, on the same device (the CPU, or
 * a GPU with --device cuda: CUDA-synchronised timings on both sides), in up to 3 rounds that
 * alternate gradscope's batch of timings with each PyTorch setting's (a PyTorch process per
 * workload and setting, waiting between its batches), each side's time the median of all its
 * timings: on a machine whose speed drifts, timings minutes apart differ by 30% (ResNet20 step
 * B=128 on the 2-core development machine: gradscope 266 ms, then PyTorch 215 ms, 1.24;
 * alternated 261 and 286 ms, 0.91); a table of ratios on
 * stdout and bench/results.json. A second table gives the cost of the TorchScript path
 * (src/bench/torchscript.ts): some workloads again on the module `gradscope export NET
 * --pytorch` prints, scripted by PyTorch, in rounds alternated with the built-in network. A third
 * gives the cost of the live gradient noise scale (src/bench/noise-scale.ts): an F1 training
 * epoch with it off, at its default interval and at every step. On the CPU
 * gradscope runs with the settings the engine would choose (threadsFor: the tuning file's,
 * else the built-in rules).
 *
 * PyTorch runs twice or more: with its defaults, and with the best settings we
 * found (on the CPU intra-op threads 1 or 2, channels-last for convolutions, glibc told to
 * keep freed memory; on a GPU channels-last); "best" is the faster of those per workload.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic } from '../core/atomic-write';
import { expected, GradscopeInputError } from '../core/errors';
import type { NetworkSpec } from '../engine/layers';
import {
  returnFreeMemory,
  setThreads,
  threads,
  threadsFor,
  type ThreadSettings,
} from '../engine/threads';
import { c1 } from '../models/c1';
import { f1 } from '../models/f1';
import { resnet20 } from '../models/resnet';
import type { Log } from '../core/log';
import { synchronize } from '../engine/device';
import { median, prepareGradscope, timedRuns, timeGradscope } from './gradscope';
import {
  PyTorchSession,
  pythonWithTorch,
  type BenchWorkload,
  type PyTorchSettings,
} from './pytorch';
import { SCRIPTED, scriptedNetwork, torchScriptTable, type TorchScriptRow } from './torchscript';
import {
  NOISE_SCALE_ROW,
  noiseScaleBench,
  noiseScaleTable,
  type NoiseScaleRow,
} from './noise-scale';

const KEEP_MEMORY = {
  MALLOC_MMAP_MAX_: '0',
  MALLOC_TRIM_THRESHOLD_: '68719476736',
  MALLOC_TOP_PAD_: '67108864',
};

export interface BenchOptions {
  /** Where both sides run: "cpu" or "cuda:N" (the engine's device, already chosen). */
  device: string;
  /** Only workloads whose name contains this text. */
  only?: string;
  quick: boolean;
  explore: boolean;
  out: string;
}

export interface BenchRow {
  id: string;
  gradscopeMs: number;
  /** The CPU thread settings gradscope ran with (null on a GPU). */
  gradscopeThreads: ThreadSettings | null;
  pytorchDefaultMs: number | null;
  pytorchBestMs: number | null;
  pytorchBestSetting: string | null;
  explored?: Record<string, number>;
}

function workloads(quick: boolean): BenchWorkload[] {
  const w = (
    id: string,
    network: NetworkSpec,
    kind: BenchWorkload['kind'],
    batch: number,
    chunk: number,
    repeats: number,
    draws?: number,
  ): BenchWorkload => ({ id, network, kind, batch, chunk, repeats, ...(draws ? { draws } : {}) });
  if (quick)
    return [
      w('F1 step B=64', f1(), 'step', 64, 64, 3),
      w('C1 step B=16', c1(), 'step', 16, 16, 2),
      w('F1 population gradient N=128', f1(), 'population-gradient', 128, 64, 2),
      w('F1 Hessian-vector product N=128', f1(), 'hessian-vector', 128, 128, 2),
      w('C1 Experiment B point K=2 B=16', c1(), 'experiment-b', 16, 16, 1, 2),
      w('ResNet20 step B=8', resnet20(), 'step', 8, 8, 2),
      w('ResNet20 population gradient N=16', resnet20(), 'population-gradient', 16, 8, 1),
    ];
  return [
    w('F1 step B=256', f1(), 'step', 256, 256, 40),
    w('F1 step B=5000', f1(), 'step', 5000, 5000, 7),
    w('C1 step B=256', c1(), 'step', 256, 256, 7),
    w('C1 step B=5000', c1(), 'step', 5000, 5000, 3),
    w('F1 population gradient N=5000', f1(), 'population-gradient', 5000, 5000, 7),
    w('C1 population gradient N=5000', c1(), 'population-gradient', 5000, 1000, 3),
    w('F1 Hessian-vector product N=5000', f1(), 'hessian-vector', 5000, 5000, 5),
    w('C1 Experiment B point K=3 B=5000', c1(), 'experiment-b', 5000, 5000, 1, 3),
    w(
      'C1 population gradient N=50000 (chunks of 5000)',
      c1(),
      'population-gradient',
      50000,
      5000,
      1,
    ),
    w('ResNet20 step B=128', resnet20(), 'step', 128, 128, 9),
    w('ResNet20 population gradient N=2000', resnet20(), 'population-gradient', 2000, 500, 3),
  ];
}

const fmt = (ms: number | null): string => (ms === null ? '-' : ms.toFixed(1));
const ratio = (a: number, b: number | null): string => (b === null ? '-' : (a / b).toFixed(2));

/** At most 3 rounds, `repeats` split evenly between them: 9 -> 3, 3, 3; 7 -> 3, 2, 2. */
export function roundRepeats(repeats: number): number[] {
  const rounds = Math.min(3, repeats);
  return Array.from({ length: rounds }, (_, r) => Math.floor((repeats + rounds - 1 - r) / rounds));
}

/**
 * One batch of gradscope's timings: an untimed run (the heap given back after the last
 * batch grows again), `repeats` timed ones, then the freed memory back to the system, so
 * that PyTorch's batch next does not run beside gradscope's largest heap.
 */
function batch(once: () => void, repeats: number): number[] {
  once();
  synchronize();
  const times = timedRuns(once, repeats);
  returnFreeMemory();
  return times;
}

/** PyTorch on `w` under each of `settings`, started side by side; all or none. */
async function startSessions(
  python: string,
  w: BenchWorkload,
  settings: PyTorchSettings[],
  device: string,
): Promise<PyTorchSession[]> {
  const started = await Promise.allSettled(
    settings.map((s) => PyTorchSession.start(python, w, s, device)),
  );
  const sessions = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    for (const session of sessions) session.close();
    throw failed.reason;
  }
  return sessions;
}

export async function runBench(
  options: BenchOptions,
  log: Log,
): Promise<{ rows: BenchRow[]; note: string }> {
  const list = workloads(options.quick).filter((w) => !options.only || w.id.includes(options.only));
  const liveNoise = !options.only || NOISE_SCALE_ROW.includes(options.only);
  if (list.length === 0 && !liveNoise)
    throw expected('text found in a workload name', '--only', options.only);
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const gpu = options.device !== 'cpu';
  if (gpu && options.explore)
    throw new GradscopeInputError(
      `--explore times CPU thread settings: not with --device ${options.device}`,
    );

  const torch = pythonWithTorch(options.device);
  let note: string;
  let settings: PyTorchSettings[] = [];
  if ('missing' in torch) {
    note = `no PyTorch comparison: ${torch.missing}`;
    log.info(`bench: ${note}`);
  } else {
    note = gpu
      ? `PyTorch ${torch.version} from ${torch.python} on ${options.device}; both sides CUDA-synchronised, IEEE float32 (TF32 off)`
      : `PyTorch ${torch.version} from ${torch.python}`;
    settings = gpu
      ? [
          { label: 'defaults', threads: null, channelsLast: false, env: {} },
          { label: 'channels-last', threads: null, channelsLast: true, env: {} },
        ]
      : [
          { label: 'defaults', threads: null, channelsLast: false, env: {} },
          ...[1, cores].map((t) => ({
            label: `${t} thread${t > 1 ? 's' : ''}, channels-last, memory kept`,
            threads: t,
            channelsLast: true,
            env: KEEP_MEMORY,
          })),
        ];
  }

  const rows: BenchRow[] = [];
  const scripting = list.some((w) => SCRIPTED.includes(w.id)) ? pythonWithTorch() : null;
  let scripts: string | undefined;
  const scriptedRows: TorchScriptRow[] = [];
  for (const w of list) {
    const chosen = gpu ? null : setThreads(threadsFor(w.network, { batch: w.batch }));
    log.info(
      chosen
        ? `bench: gradscope ${w.id} (torch ${chosen.torch}, BLAS ${chosen.blas} threads, linear ${chosen.linear}, memory ${chosen.memory}, ${chosen.convolutionFormat}; ${chosen.source === 'tuned' ? 'tuned' : 'built-in rules'})`
        : `bench: gradscope ${w.id} on ${options.device}`,
    );
    // gradscope's batches alternate with each PyTorch setting's, round by round: the
    // machine's speed drifts, and each side's median then spans the same minutes
    const once = prepareGradscope(w);
    const ours: number[] = [];
    const theirs: number[][] = settings.map(() => []);
    if ('python' in torch)
      log.info(`bench: PyTorch ${w.id} with ${settings.map((s) => s.label).join('; ')}`);
    const sessions =
      'python' in torch ? await startSessions(torch.python, w, settings, options.device) : [];
    try {
      for (const repeats of roundRepeats(w.repeats)) {
        ours.push(...batch(once, repeats));
        for (const [i, session] of sessions.entries())
          theirs[i]!.push(...(await session.time(repeats)));
      }
    } finally {
      for (const session of sessions) session.close();
    }
    const row: BenchRow = {
      id: w.id,
      gradscopeMs: median(ours),
      gradscopeThreads: chosen,
      pytorchDefaultMs: null,
      pytorchBestMs: null,
      pytorchBestSetting: null,
    };
    for (const [i, s] of settings.entries()) {
      const ms = median(theirs[i]!);
      if (s.label === 'defaults') row.pytorchDefaultMs = ms;
      // the best setting found includes PyTorch's own defaults
      if (row.pytorchBestMs === null || ms < row.pytorchBestMs) {
        row.pytorchBestMs = ms;
        row.pytorchBestSetting = s.label;
      }
    }
    if (options.explore) {
      row.explored = {};
      for (const t of [1, cores]) {
        for (const b of [1, cores]) {
          setThreads({ torch: t, blas: b });
          row.explored[`torch ${t} / BLAS ${b}`] = timeGradscope(w);
        }
      }
      if (chosen) setThreads(chosen); // back to the engine's choice for what follows
    }
    rows.push(row);
    if (scripting && 'python' in scripting && SCRIPTED.includes(w.id)) {
      // the TorchScript module and the built-in network, their batches alternated
      scripts ??= fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-bench-scripts-'));
      const file = scriptedNetwork(scripting.python, w.network, scripts);
      // with the engine's choice of settings; a module's Linear layers take the built-in
      // network's kernels (native/script.cc), so the ratio is the cost of the TorchScript path
      log.info(`bench: gradscope ${w.id}, built-in and TorchScript module of ${w.network.name}`);
      const builtIn = prepareGradscope(w);
      const module = prepareGradscope(w, file);
      const [a, b]: number[][] = [[], []];
      for (const repeats of roundRepeats(w.repeats)) {
        a.push(...batch(builtIn, repeats));
        b.push(...batch(module, repeats));
      }
      scriptedRows.push({ id: w.id, torchscriptMs: median(b), builtInMs: median(a) });
    }
  }
  if (scripts) fs.rmSync(scripts, { recursive: true, force: true });
  let noiseScale: NoiseScaleRow | undefined;
  if (liveNoise) {
    log.info(`bench: gradscope ${NOISE_SCALE_ROW}, against off and every step`);
    noiseScale = await noiseScaleBench(options.quick);
  }
  setThreads();

  const blas = threads().blasConfig;
  const header =
    '| workload | gradscope ms | PyTorch defaults ms | PyTorch best ms | gradscope / best | defaults / gradscope | best PyTorch setting |';
  const lines = [header, '| --- | ---: | ---: | ---: | ---: | ---: | --- |'];
  for (const r of rows)
    lines.push(
      `| ${r.id} | ${fmt(r.gradscopeMs)} | ${fmt(r.pytorchDefaultMs)} | ${fmt(r.pytorchBestMs)} | ${ratio(r.gradscopeMs, r.pytorchBestMs)} | ${r.pytorchDefaultMs === null ? '-' : (r.pytorchDefaultMs / r.gradscopeMs).toFixed(2)} | ${r.pytorchBestSetting ?? '-'} |`,
    );
  const table = lines.join('\n');
  const result = {
    date: new Date().toISOString(),
    device: options.device,
    machine: { cores, cpu: os.cpus()[0]?.model ?? 'unknown', blas },
    environment: {
      OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? null,
      OPENBLAS_L2_SIZE: process.env.OPENBLAS_L2_SIZE ?? null,
    },
    quick: options.quick,
    note,
    rows,
    table,
    torchscript: scriptedRows,
    ...(noiseScale ? { noiseScale } : {}),
  };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileAtomic(options.out, JSON.stringify(result, null, 2) + '\n');
  if (!log.json) {
    process.stdout.write(`${table}\n\n${note}; BLAS: ${blas}\nwritten: ${options.out}\n`);
    if (scriptedRows.length > 0) process.stdout.write(`\n${torchScriptTable(scriptedRows)}\n`);
    if (noiseScale) process.stdout.write(`\n${noiseScaleTable(noiseScale)}\n`);
    if (options.explore)
      for (const r of rows) process.stdout.write(`${r.id}: ${JSON.stringify(r.explored)}\n`);
  }
  return { rows, note };
}
