/**
 * gradscope's side of the bench: the same workloads as bench/pytorch_bench.py,
 * timed in this process (median of `repeats` after one warm-up) on the engine's device,
 * each timing ended by a synchronisation of that device (a GPU runs its kernels
 * asynchronously; on the CPU it waits for nothing). An Experiment B point runs the study's own
 * analysis (analyzeGradients). The network is the workload's
 * built-in one, or a TorchScript module of the same architecture.
 */
import { analyzeGradients, DEFAULT_GRADIENT_ANALYSIS } from '../analysis/gradient-distribution';
import type { StudyData } from '../data/load';
import { Dataset } from '../engine/dataset';
import { resolveNetwork } from '../engine/layers';
import { synchronize } from '../engine/device';
import { DeviceVector, measureGradient } from '../engine/device-vector';
import { Network } from '../engine/network';
import { Optimizer } from '../engine/optimizer';
import { torchScriptSpec } from '../engine/torchscript';
import type { BenchWorkload } from './pytorch';

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

/** K draws of `batch` distinct indices out of `pool`, from a fixed xorshift stream. */
export function benchDraws(pool: number, batch: number, draws: number): Int32Array[] {
  const out: Int32Array[] = [];
  let x = 12345;
  for (let k = 0; k < draws; k++) {
    const order = Int32Array.from({ length: pool }, (_, i) => i);
    for (let i = pool - 1; i > 0; i--) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const j = (x >>> 0) % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    out.push(order.slice(0, batch));
  }
  return out;
}

/** Median milliseconds of `w` after one warm-up; `scripted`: a TorchScript file to run
 * instead of w.network. */
export async function timeGradscope(w: BenchWorkload, scripted?: string): Promise<number> {
  const prepared = prepareGradscope(w, scripted);
  await prepared.run(); // warm-up, not timed
  synchronize();
  return medianMs(prepared.run, w.repeats);
}

/** A workload built once: `run` runs it once. */
export interface PreparedWorkload {
  run: () => Promise<void>;
  /** An Experiment B point: whether its last run built the draws from layer signals (null
   * before a run, and for every other kind). */
  signals: boolean | null;
  /** An Experiment B point: the analysis' line saying why its draws recomputed their examples. */
  note: string | null;
}

/** `examples` random images of `spec`'s input, or for a language model `examples` windows of
 * its context + 1 random token ids. */
function randomData(name: string, spec: BenchWorkload['network'], examples: number, seed: number) {
  const [c, h, wd] = spec.input;
  if (resolveNetwork(spec).language) {
    const bytes = randomBytes(examples * (wd + 1), seed);
    return new Dataset(name, spec.classes, {
      windows: Int32Array.from(bytes, (b) => b % spec.classes),
      context: wd,
    });
  }
  return new Dataset(name, spec.classes, {
    pixels: randomBytes(examples * c * h * wd, seed),
    labels: new Int32Array(examples).map((_, i) => i % spec.classes),
    shape: [c, h, wd],
  });
}

/**
 * An Experiment B point exactly as a study's analysis runs it (src/experiments/
 * analysis-schedule.ts): analyzeGradients in population mode with nested draws, the layer
 * signals within the default memory budget, on random data of the study's set sizes.
 */
function preparePoint(w: BenchWorkload, net: Network): PreparedWorkload {
  const point = w.point!;
  const data: StudyData = {
    name: 'idx',
    classes: w.network.classes,
    train: randomData('bench-train', w.network, point.train, 17),
    test: randomData('bench-test', w.network, point.test, 29),
    description: 'random bytes of the study data set sizes',
    files: [],
  };
  const prepared: PreparedWorkload = {
    signals: null,
    note: null,
    run: async () => {
      const result = await analyzeGradients(net, data, {
        ...DEFAULT_GRADIENT_ANALYSIS,
        batchSizes: point.batchSizes,
        samples: w.draws ?? 1,
        mode: 'population',
        draws: 'nested',
        chunk: w.chunk,
        purpose: 'bench',
        onNote: (line) => (prepared.note = line),
      });
      prepared.signals = result.signalBytes !== null && result.signalBytes !== undefined;
    },
  };
  return prepared;
}

/** The network and data of `w`, built once. */
export function prepareGradscope(w: BenchWorkload, scripted?: string): PreparedWorkload {
  const net = new Network(scripted ? torchScriptSpec(scripted) : w.network, { seed: 0 });
  if (w.kind === 'experiment-b-point') return preparePoint(w, net);
  const examples = w.kind === 'experiment-b' ? 2 * w.batch : w.batch;
  const data = randomData('bench', w.network, examples, 17);
  const indices = data.all();
  let once: () => void;
  if (w.kind === 'step') {
    const optimizer = new Optimizer(net, { kind: 'adam', lr: 1e-3 });
    once = () => {
      net.gradient(data, indices, { mode: 'train' });
      optimizer.step();
    };
  } else if (w.kind === 'hessian-vector') {
    // H v of the mean loss in population mode, v a fixed unit-scale direction
    const v = net.readParameters().map((_, i) => Math.sin(i + 1));
    const out = v.slice().fill(0);
    once = () => net.hessianVector(data, indices, v, out, { mode: 'population', chunk: w.chunk });
  } else if (w.kind === 'experiment-b') {
    // each draw's four float64 sums against two fixed vectors, on the device (Experiment B)
    const draws = benchDraws(examples, w.batch, w.draws ?? 1);
    net.gradient(data, indices, { mode: 'population', chunk: w.chunk });
    const reference = new DeviceVector(net).setGradient(net);
    const total = new DeviceVector(net).setGradient(net, 0.5);
    once = () => {
      for (const d of draws) {
        net.gradient(data, d, { mode: 'population', chunk: w.chunk });
        measureGradient(net, reference, total);
      }
    };
  } else {
    once = () => net.gradient(data, indices, { mode: 'population', chunk: w.chunk });
  }
  return { signals: null, note: null, run: async () => once() };
}

/** The median of `repeats` timed runs of `once`, in milliseconds. */
export async function medianMs(once: () => Promise<void>, repeats: number): Promise<number> {
  return median(await timedRuns(once, repeats));
}

/** The milliseconds of `repeats` runs of `once`, each ended by a device synchronisation. */
export async function timedRuns(once: () => Promise<void>, repeats: number): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    await once();
    synchronize();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
}

/** The median of `values` (the upper one of an even count, as the bench always took it). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
