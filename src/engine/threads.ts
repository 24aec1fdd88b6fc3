/**
 * Thread settings of the engine. Two pools compete for the cores: torch's intra-op
 * (OpenMP) threads and OpenBLAS's own. Measured on the 2-core development machine
 * (docs/design.md), 1 torch thread + all cores to BLAS is best for the fully connected
 * networks; `gradscope bench` measures the alternatives for the convolutional ones.
 */
import * as os from 'os';
import { expected, isPositiveInteger } from './errors';
import { addon } from './native';
import type { NetworkSpec } from './layers';

export interface ThreadSettings {
  torch: number;
  blas: number;
}

export function defaultThreads(): ThreadSettings {
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  return { torch: 1, blas: cores };
}

/** `--threads N` sets both pools to N; the default is defaultThreads(). */
export function setThreads(settings: Partial<ThreadSettings> = {}): ThreadSettings {
  const chosen = { ...defaultThreads(), ...settings };
  if (!isPositiveInteger(chosen.torch))
    throw expected('a positive integer', 'torch threads', chosen.torch);
  if (!isPositiveInteger(chosen.blas))
    throw expected('a positive integer', 'BLAS threads', chosen.blas);
  addon().setThreads(chosen.torch, chosen.blas);
  return chosen;
}

export function threads(): { torch: number; blas: number; blasConfig: string } {
  return addon().threads();
}

/**
 * The settings a workload runs fastest with here: fully connected networks spend
 * their time in BLAS matrix products (1 torch thread, BLAS on every core);
 * convolutional ones in oneDNN convolutions, which use torch's threads.
 * `gradscope bench --explore` measures the alternatives.
 */
export function threadsFor(network: NetworkSpec): ThreadSettings {
  const { blas } = defaultThreads();
  const convolutional = network.layers.some((l) => l.type === 'conv2d');
  return convolutional ? { torch: blas, blas } : { torch: 1, blas };
}
