/**
 * The machine's matrix-multiply rate, which the bench's rows are read against: the forward
 * pass of a network of one float32 Linear layer (F -> F features) at a large batch, through
 * the engine (on the CPU oneDNN's kernels on every core, the engine's Linear path; on a GPU the
 * engine's own), its best of the runs that fit in 3 s (0.5 s with --quick; at least 3) after
 * a warm-up. Its arithmetic is 2 N F^2; the loss
 * and the input's conversion are a few operations per value, not counted.
 */
import * as os from 'os';
import { Dataset } from '../engine/dataset';
import { synchronize } from '../engine/device';
import type { NetworkSpec } from '../engine/layers';
import { Network } from '../engine/network';
import { setThreads, threads } from '../engine/threads';

export interface MatmulPeak {
  /** What was timed, in words. */
  what: string;
  gflop: number;
  /** The best run's milliseconds. */
  ms: number;
  gflops: number;
}

/** Times the product; `quick`: a small one. The engine's thread settings are restored after. */
export function matmulPeak(quick: boolean, gpu: boolean): MatmulPeak {
  const side = quick ? 32 : 64; // F = side^2 features: 1024 or 4096
  const features = side * side;
  const batch = quick ? 256 : 2048;
  // the best of as many runs as fit in this time (at least 3): a shared machine's other work
  // slows some runs, none speeds one up
  const budgetMs = quick ? 500 : 3000;
  const spec: NetworkSpec = {
    name: 'matmul',
    input: [1, side, side],
    classes: features,
    layers: [{ type: 'flatten' }, { type: 'linear', out: features, bias: false }],
  };
  const pixels = new Uint8Array(batch * features).map((_, i) => (i * 37) & 255);
  const labels = new Int32Array(batch).map((_, i) => i % features);
  const data = new Dataset('matmul', features, { pixels, labels, shape: [1, side, side] });
  const before = threads();
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  if (!gpu) setThreads({ torch: cores, blas: cores, linear: 'onednn' });
  try {
    const net = new Network(spec, { seed: 0 });
    const indices = data.all();
    const once = (): number => {
      const start = process.hrtime.bigint();
      net.evaluate(data, indices, { mode: 'population', chunk: batch });
      synchronize();
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    once(); // warm-up: kernels chosen, memory grown
    const times: number[] = [];
    for (let spent = 0; times.length < 3 || (spent < budgetMs && times.length < 100);) {
      times.push(once());
      spent += times[times.length - 1]!;
    }
    const ms = Math.min(...times);
    const runs = times.length;
    const gflop = (2 * batch * features * features) / 1e9;
    return {
      what: `float32 Linear ${features} -> ${features} forward at batch ${batch} through the engine${gpu ? '' : ` (oneDNN, ${cores} threads)`}, best of ${runs}`,
      gflop,
      ms,
      gflops: gflop / (ms / 1000),
    };
  } finally {
    if (!gpu) setThreads({ torch: before.torch, blas: before.blas });
  }
}
