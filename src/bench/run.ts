/**
 * `gradscope bench`: training steps (forward + backward + Adam) of F1 and C1 at batch 256 and
 * 5000, population-mode gradients of 5000 examples, a population-mode Hessian-vector product of
 * F1 on 5000 examples (double backward), the draws of an Experiment B point of C1 (K = 3
 * population-mode gradients of B = 5000 drawn examples), C1's population gradient over CIFAR's
 * whole training-set size (50000, chunks of 5000 as a study's g_train), whole Experiment B
 * points as a study's analysis runs them (population mode, nested draws, layer signals where
 * they fit; F1 at K = 100 on MNIST's sizes, C1 at K = 3 on CIFAR-10's), a ResNet20 training
 * step at B = 128 (He et al.'s batch) and its population gradient, a training step of the
 * built-in GPT on 64 windows of 64 tokens (against nanoGPT's model, bench/pytorch_bench.py),
 * timed for gradscope and for PyTorch in the same invocation, on the same device (the CPU, or a GPU with --device cuda: CUDA-synchronised
 * timings on both sides). Each row gives its arithmetic (GFLOP, src/bench/flops.ts) and the
 * rate each side reached, beside the machine's matrix-multiply peak timed at the start
 * (src/bench/peak.ts).
 *
 * A workload is timed in up to 3 rounds that alternate gradscope's batch of timings with each
 * PyTorch setting's (a PyTorch process per workload and setting, waiting between its
 * batches), each side's time the median of all its timings: on a machine whose speed drifts,
 * timings minutes apart differ by 30% (ResNet20 step B=128 on the 2-core development machine:
 * gradscope 266 ms, then PyTorch 215 ms, 1.24; alternated 261 and 286 ms, 0.91). The first
 * round times every PyTorch setting, PyTorch's defaults last, each stopped as soon as it is
 * clearly slower than the best before it (within a chunk too); the later rounds only those that
 * compete; a setting stopped on one of a network's rows, PyTorch's defaults included, is left out
 * of its later rows, and the table names the row that stopped it (src/bench/setting-rounds.ts).
 * A table of ratios on stdout and bench/results.json. A second table gives the cost of the
 * TorchScript path (src/bench/torchscript.ts): some workloads again on the module `gradscope
 * export NET --pytorch` prints, scripted by PyTorch, in rounds alternated with the built-in
 * network. A third gives the cost of the live gradient noise scale (src/bench/noise-scale.ts):
 * an F1 training epoch with it off, at its default interval and at every step. On the CPU
 * gradscope runs with the settings the engine would choose (threadsFor: the tuning file's,
 * else the built-in rules).
 *
 * PyTorch runs twice or more: with the best settings we found (on the CPU intra-op threads 1
 * or every core, channels-last for convolutions, glibc told to keep freed memory; on a GPU
 * channels-last), and with its defaults; "best" is the fastest of those per workload.
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
import { gpt } from '../models/gpt';
import { resnet20 } from '../models/resnet';
import type { Log } from '../core/log';
import { synchronize } from '../engine/device';
import { workloadGflop } from './flops';
import {
  median,
  prepareGradscope,
  timedRuns,
  timeGradscope,
  type PreparedWorkload,
} from './gradscope';
import { matmulPeak, type MatmulPeak } from './peak';
import {
  rowSettings,
  SettingRounds,
  STOP_FACTOR,
  type NetworkRows,
  type SettingSummary,
} from './setting-rounds';
import {
  PyTorchSession,
  pythonWithTorch,
  type BenchWorkload,
  type PyTorchSettings,
} from './pytorch';
import { SCRIPTED, scriptedNetwork, torchScriptTable, type TorchScriptRow } from './torchscript';
import { tuneAdvice } from './tune-advice';
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
  /** PyTorch's defaults' median; null when they were stopped (or PyTorch is absent). */
  pytorchDefaultMs: number | null;
  /** PyTorch's defaults stopped once clearly slower than the best setting: the time their
   * stopped run had taken (they take longer than this). */
  pytorchDefaultAtLeastMs: number | null;
  pytorchBestMs: number | null;
  pytorchBestSetting: string | null;
  /** Each PyTorch setting: its median (null: stopped), rounds and timings. */
  pytorchSettings: ({
    label: string;
    /** Left out of this row: why (stopped on an earlier row of the network). */
    notTimed?: string;
  } & SettingSummary)[];
  /** The arithmetic of one run (src/bench/flops.ts), as each side performs it. */
  gflop: { gradscope: number; pytorch: number };
  /** GFLOP per second each side reached (PyTorch: its best setting). */
  gflops: { gradscope: number; pytorch: number | null };
  /** An Experiment B point: whether gradscope's draws came from layer signals. */
  layerSignals?: boolean;
  explored?: Record<string, number>;
}

/** The bench's workloads (--quick: the same kinds at tiny sizes). */
export function workloads(quick: boolean): BenchWorkload[] {
  const w = (
    id: string,
    network: NetworkSpec,
    kind: BenchWorkload['kind'],
    batch: number,
    chunk: number,
    repeats: number,
    draws?: number,
  ): BenchWorkload => ({ id, network, kind, batch, chunk, repeats, ...(draws ? { draws } : {}) });
  // a study's Experiment B point (population mode, nested draws) on sets of the data's sizes.
  // `warm`: one untimed point before the timed one, on both sides, as every point of a study but
  // its first runs (the process keeps its heap between points: memory kept). F1's layer signals
  // are one 1.2 GB block, first touched in the point that allocates it (about 2 s of page faults
  // on the 2-core AMD machine, more after the C1 rows), which a cold run times and a study pays
  // once. A C1 point is timed cold, one run a side (a warm one would add about 3 minutes):
  // PyTorch's first chunk and gradscope's are both first touched in the timed run. At K = 3 its
  // draws take 15 000 examples, fewer than half the 50 000 whose signals they would need, so they
  // recompute (drawSignals: the signals' pass would cost more than it saves there), 988
  // examples at a time (populationChunk: C1's layer inputs and outputs within 1 GiB); a study's
  // C1 points, at K = 100, are built from signals.
  const point = (
    network: NetworkSpec,
    train: number,
    test: number,
    batchSizes: number[],
    draws: number,
    chunk: number,
    warm = false,
  ): BenchWorkload => ({
    ...w(
      `${network.name} Experiment B point K=${draws} B=${batchSizes.join(',')} nested`,
      network,
      'experiment-b-point',
      Math.max(...batchSizes),
      chunk,
      1,
      draws,
    ),
    point: { train, test, batchSizes },
    warmUp: warm,
  });
  if (quick)
    return [
      w('F1 step B=64', f1(), 'step', 64, 64, 3),
      w('C1 step B=16', c1(), 'step', 16, 16, 2),
      w('F1 population gradient N=128', f1(), 'population-gradient', 128, 64, 2),
      w('F1 Hessian-vector product N=128', f1(), 'hessian-vector', 128, 128, 2),
      w('C1 Experiment B point K=2 B=16', c1(), 'experiment-b', 16, 16, 1, 2),
      // draws of at least half the training set's examples: the signals' pass pays (drawSignals)
      point(f1(), 128, 64, [16, 32, 64], 2, 64),
      point(c1(), 16, 16, [8, 16], 1, 16),
      w('ResNet20 step B=8', resnet20(), 'step', 8, 8, 2),
      w('ResNet20 population gradient N=16', resnet20(), 'population-gradient', 16, 8, 1),
      w('GPT step B=4', gpt(), 'step', 4, 4, 2),
    ];
  return [
    w('F1 step B=256', f1(), 'step', 256, 256, 40),
    w('F1 step B=5000', f1(), 'step', 5000, 5000, 7),
    w('C1 step B=256', c1(), 'step', 256, 256, 7),
    // one round each: every batch of C1 at 5000 examples regrows the heap given back after the
    // last (about 25 s of page faults a side on the 2-core AMD machine, 2.3 million in the first
    // run and a few hundred thousand in the second); a batch of 2 untimed and 3 timed runs a side
    { ...w('C1 step B=5000', c1(), 'step', 5000, 5000, 3), rounds: 1, warmUpRuns: 2 },
    w('F1 population gradient N=5000', f1(), 'population-gradient', 5000, 5000, 7),
    {
      ...w('C1 population gradient N=5000', c1(), 'population-gradient', 5000, 1000, 3),
      rounds: 1,
      warmUpRuns: 2,
    },
    w('F1 Hessian-vector product N=5000', f1(), 'hessian-vector', 5000, 5000, 5),
    // its untimed run regrows the heap: the 3 draws timed are a study's, on a grown heap
    w('C1 Experiment B point K=3 B=5000', c1(), 'experiment-b', 5000, 5000, 1, 3),
    // g_train as a study computes it, in chunks of 5000 over CIFAR-10's training-set size: 10
    // chunks, not fewer, though it is 2-2.5 minutes of the bench, both sides: the first chunk
    // regrows the heap on each side (about 25 s), and at 5 chunks that regrowth, not the chunk
    // loop, set the ratio (N=25000 alone, 05:55 UTC: 53.7 s against 48.2 s, 1.11; N=50000
    // alone, 05:40: 62.8 s against 73.5 s, 0.85)
    {
      ...w(
        'C1 population gradient N=50000 (chunks of 5000)',
        c1(),
        'population-gradient',
        50000,
        5000,
        1,
      ),
      warmUp: false,
    },
    // MNIST's 60 000 + 10 000 and CIFAR-10's 50 000 + 10 000 examples; the thesis' arms' B
    point(f1(), 60000, 10000, [256, 1000, 2000, 5000], 100, 5000, true),
    point(c1(), 50000, 10000, [256, 1000, 2000, 5000], 3, 5000),
    w('ResNet20 step B=128', resnet20(), 'step', 128, 128, 9),
    w('ResNet20 population gradient N=2000', resnet20(), 'population-gradient', 2000, 500, 3),
    // the built-in GPT (nanoGPT's char-level Shakespeare model as its README trains it on a
    // CPU: 4 layers, 4 heads, width 128, block_size 64) on 64 random windows of 64 tokens, 4096
    // tokens a step (that README's CPU run takes 12 windows; its GPU config 64 of 256)
    w('GPT step B=64', gpt(), 'step', 64, 64, 6),
  ];
}

const fmt = (ms: number | null): string => (ms === null ? '-' : ms.toFixed(1));
const ratio = (a: number, b: number | null): string => (b === null ? '-' : (a / b).toFixed(2));
const gflop = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));

/** The markdown table of the rows, the machine's matrix-multiply peak in its first line. PyTorch's
 * defaults stopped once clearly slower show as "> ms" (and "> ratio"); left out, as the row of
 * the network that stopped them ("stopped on C1 step B=256"). */
export function benchTable(rows: BenchRow[], peak: MatmulPeak): string {
  const lines = [
    `matrix-multiply peak: ${peak.gflops.toFixed(1)} GFLOP/s (${peak.what})`,
    '',
    '| workload | gradscope ms | PyTorch defaults ms | PyTorch best ms | gradscope / best | defaults / gradscope | best PyTorch setting | GFLOP gradscope | GFLOP PyTorch | gradscope GFLOP/s | PyTorch best GFLOP/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const leftOut = r.pytorchSettings.find((s) => s.label === 'defaults' && s.notTimed);
    const defaults = leftOut
      ? [leftOut.notTimed!, '-']
      : r.pytorchDefaultAtLeastMs !== null
        ? [
            `> ${fmt(r.pytorchDefaultAtLeastMs)}`,
            `> ${ratio(r.pytorchDefaultAtLeastMs, r.gradscopeMs)}`,
          ]
        : [
            fmt(r.pytorchDefaultMs),
            r.pytorchDefaultMs === null ? '-' : ratio(r.pytorchDefaultMs, r.gradscopeMs),
          ];
    lines.push(
      `| ${r.id} | ${fmt(r.gradscopeMs)} | ${defaults[0]} | ${fmt(r.pytorchBestMs)} | ${ratio(r.gradscopeMs, r.pytorchBestMs)} | ${defaults[1]} | ${r.pytorchBestSetting ?? '-'} | ${gflop(r.gflop.gradscope)} | ${gflop(r.gflop.pytorch)} | ${r.gflops.gradscope.toFixed(1)} | ${r.gflops.pytorch === null ? '-' : r.gflops.pytorch.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

/** At most `most` rounds (3 unless a workload says), `repeats` split evenly between them:
 * 9 -> 3, 3, 3; 7 -> 3, 2, 2; 3 in one round -> 3. */
export function roundRepeats(repeats: number, most = 3): number[] {
  const rounds = Math.min(most, repeats);
  return Array.from({ length: rounds }, (_, r) => Math.floor((repeats + rounds - 1 - r) / rounds));
}

/**
 * One batch of gradscope's timings: `warmUps` untimed runs (the heap given back after the last
 * batch grows again), `repeats` timed ones, then the freed memory back to the system, so
 * that PyTorch's batch next does not run beside gradscope's largest heap.
 */
async function batch(
  once: () => Promise<void>,
  repeats: number,
  warmUps: number,
): Promise<number[]> {
  for (let u = 0; u < warmUps; u++) {
    await once();
    synchronize();
  }
  const times = await timedRuns(once, repeats);
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
    // PyTorch's defaults last: the first round times them against the best setting before
    // them and stops them once clearly slower (src/bench/setting-rounds.ts)
    settings = gpu
      ? [
          { label: 'channels-last', threads: null, channelsLast: true, env: {} },
          { label: 'defaults', threads: null, channelsLast: false, env: {} },
        ]
      : [
          ...[...new Set([cores, 1])].map((t) => ({
            label: `${t} thread${t > 1 ? 's' : ''}, channels-last, memory kept`,
            threads: t,
            channelsLast: true,
            env: KEEP_MEMORY,
          })),
          { label: 'defaults', threads: null, channelsLast: false, env: {} },
        ];
  }
  const peak = matmulPeak(options.quick, gpu);
  log.info(`bench: matrix-multiply peak ${peak.gflops.toFixed(1)} GFLOP/s (${peak.what})`);

  const rows: BenchRow[] = [];
  const scripting = list.some((w) => SCRIPTED.includes(w.id)) ? pythonWithTorch() : null;
  let scripts: string | undefined;
  const scriptedRows: TorchScriptRow[] = [];
  // per network, what its rows so far showed: the setting fastest on most of them goes first on
  // its next row, and a setting stopped on one of them is left out (src/bench/setting-rounds.ts)
  const networkRows = new Map<string, NetworkRows>();
  for (const w of list) {
    const seen = networkRows.get(w.network.name);
    const { timed: ordered, left } = rowSettings(settings, seen);
    for (const l of left)
      log.info(
        `bench: PyTorch ${w.id} not timed with ${l.label}: stopped on ${l.stoppedOn}, more than ${STOP_FACTOR}x behind the best`,
      );
    const chosen = gpu ? null : setThreads(threadsFor(w.network, { batch: w.batch }));
    log.info(
      chosen
        ? `bench: gradscope ${w.id} (torch ${chosen.torch}, BLAS ${chosen.blas} threads, linear ${chosen.linear}, memory ${chosen.memory}, ${chosen.convolutionFormat}; ${chosen.source === 'tuned' ? 'tuned' : 'built-in rules'})`
        : `bench: gradscope ${w.id} on ${options.device}`,
    );
    // gradscope's batches alternate with each PyTorch setting's, round by round: the
    // machine's speed drifts, and each side's median then spans the same minutes. PyTorch's
    // processes build their model and data while gradscope builds its own (nothing is timed)
    if ('python' in torch)
      log.info(`bench: PyTorch ${w.id} with ${ordered.map((s) => s.label).join('; ')}`);
    const starting =
      'python' in torch ? startSessions(torch.python, w, ordered, options.device) : null;
    let prepared: PreparedWorkload;
    try {
      prepared = prepareGradscope(w);
    } catch (error) {
      for (const session of (await starting?.catch(() => [])) ?? []) session.close();
      throw error;
    }
    const sessions = (await starting) ?? [];
    const warmUp = (w.warmUp ?? true) ? (w.warmUpRuns ?? 1) : 0;
    const ours: number[] = [];
    const rounds = new SettingRounds(sessions.length);
    try {
      for (const [round, repeats] of roundRepeats(w.repeats, w.rounds).entries()) {
        ours.push(...(await batch(prepared.run, repeats, warmUp)));
        for (const [i, session] of sessions.entries()) {
          if (!rounds.runs(i, round)) continue;
          const pace = rounds.pace(i, round);
          const timed = await session.time(repeats, { warmUp, pace });
          if ('stoppedAtMs' in timed)
            log.info(
              `bench: PyTorch ${w.id} with ${ordered[i]!.label} stopped after ${timed.stoppedAtMs.toFixed(0)} ms (behind ${STOP_FACTOR}x the best setting's same run, plus a grace)`,
            );
          rounds.record(i, timed);
        }
      }
    } finally {
      for (const session of sessions) session.close();
    }
    const signals = prepared.signals ?? false;
    if (prepared.note) log.info(`bench: ${w.id}: ${prepared.note}`);
    const gradscopeMs = median(ours);
    const row: BenchRow = {
      id: w.id,
      gradscopeMs,
      gradscopeThreads: chosen,
      pytorchDefaultMs: null,
      pytorchDefaultAtLeastMs: null,
      pytorchBestMs: null,
      pytorchBestSetting: null,
      pytorchSettings: [
        ...ordered.map((s, i) => ({ label: s.label, ...rounds.summary(i) })),
        ...left.map((l) => ({
          label: l.label,
          medianMs: null,
          atLeastMs: null,
          rounds: 0,
          timings: 0,
          notTimed: `stopped on ${l.stoppedOn}`,
        })),
      ],
      gflop: { gradscope: workloadGflop(w, signals), pytorch: workloadGflop(w, false) },
      gflops: { gradscope: 0, pytorch: null },
      ...(w.kind === 'experiment-b-point' ? { layerSignals: signals } : {}),
    };
    for (const s of row.pytorchSettings) {
      if (s.label === 'defaults') {
        row.pytorchDefaultMs = s.medianMs;
        row.pytorchDefaultAtLeastMs = s.atLeastMs;
      }
      // the best setting found includes PyTorch's own defaults
      if (s.medianMs !== null && (row.pytorchBestMs === null || s.medianMs < row.pytorchBestMs)) {
        row.pytorchBestMs = s.medianMs;
        row.pytorchBestSetting = s.label;
      }
    }
    const fastestHere = row.pytorchSettings
      .filter((s) => s.label !== 'defaults' && s.medianMs !== null)
      .sort((a, b) => a.medianMs! - b.medianMs!)[0];
    const stopped = new Map(seen?.stopped);
    for (const s of row.pytorchSettings)
      if (s.atLeastMs !== null && !stopped.has(s.label)) stopped.set(s.label, w.id);
    networkRows.set(w.network.name, {
      fastest: [...(seen?.fastest ?? []), ...(fastestHere ? [fastestHere.label] : [])],
      stopped,
    });
    row.gflops = {
      gradscope: row.gflop.gradscope / (gradscopeMs / 1000),
      pytorch: row.pytorchBestMs === null ? null : row.gflop.pytorch / (row.pytorchBestMs / 1000),
    };
    if (options.explore) {
      row.explored = {};
      for (const t of [1, cores]) {
        for (const b of [1, cores]) {
          setThreads({ torch: t, blas: b });
          row.explored[`torch ${t} / BLAS ${b}`] = await timeGradscope(w);
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
        a.push(...(await batch(builtIn.run, repeats, 1)));
        b.push(...(await batch(module.run, repeats, 1)));
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
  const table = benchTable(rows, peak);
  const advice = gpu ? null : tuneAdvice(rows);
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
    peak,
    rows,
    table,
    torchscript: scriptedRows,
    ...(noiseScale ? { noiseScale } : {}),
    advice,
  };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileAtomic(options.out, JSON.stringify(result, null, 2) + '\n');
  if (!log.json) {
    process.stdout.write(`${table}\n\n${note}; BLAS: ${blas}\nwritten: ${options.out}\n`);
    if (scriptedRows.length > 0) process.stdout.write(`\n${torchScriptTable(scriptedRows)}\n`);
    if (noiseScale) process.stdout.write(`\n${noiseScaleTable(noiseScale)}\n`);
    if (options.explore)
      for (const r of rows) process.stdout.write(`${r.id}: ${JSON.stringify(r.explored)}\n`);
    if (advice) process.stdout.write(`\n${advice}\n`);
  } else if (advice) log.info(`bench: ${advice}`);
  return { rows, note };
}
