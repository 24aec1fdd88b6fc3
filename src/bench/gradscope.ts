/**
 * gradscope's side of the bench: the same workloads as bench/pytorch_bench.py,
 * timed in this process (median of `repeats` after one warm-up) on the engine's device,
 * each timing ended by a synchronisation of that device (a GPU runs its kernels
 * asynchronously; on the CPU it waits for nothing). The network is the workload's
 * built-in one, or a TorchScript module of the same architecture.
 */
import { Dataset } from '../engine/dataset';
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
export function timeGradscope(w: BenchWorkload, scripted?: string): number {
  const once = prepareGradscope(w, scripted);
  once(); // warm-up, not timed
  synchronize();
  return medianMs(once, w.repeats);
}

/** The network and data of `w`, built once; the returned function runs the workload once. */
export function prepareGradscope(w: BenchWorkload, scripted?: string): () => void {
  const [c, h, wd] = w.network.input;
  const examples = w.kind === 'experiment-b' ? 2 * w.batch : w.batch;
  const labels = new Int32Array(examples).map((_, i) => i % w.network.classes);
  const data = new Dataset('bench', w.network.classes, {
    pixels: randomBytes(examples * c * h * wd, 17),
    labels,
    shape: [c, h, wd],
  });
  const net = new Network(scripted ? torchScriptSpec(scripted) : w.network, { seed: 0 });
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
  return once;
}

/** The median of `repeats` timed runs of `once`, in milliseconds. */
export function medianMs(once: () => void, repeats: number): number {
  return median(timedRuns(once, repeats));
}

/** The milliseconds of `repeats` runs of `once`, each ended by a device synchronisation. */
export function timedRuns(once: () => void, repeats: number): number[] {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    once();
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
