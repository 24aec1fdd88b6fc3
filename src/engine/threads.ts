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

/** Whether the pools have been set in this process (by setThreads or the first network). */
let chosen = false;

/** The first network of a process that never called setThreads sets the pools for its
 * own kind (threadsFor): a library user gets the command line's speed without asking. */
export function threadsForFirstNetwork(network: NetworkSpec): void {
  if (!chosen) setThreads(threadsFor(network));
}

/** `--threads N` sets both pools to N; the default is defaultThreads(). */
export function setThreads(settings: Partial<ThreadSettings> = {}): ThreadSettings {
  const pools = { ...defaultThreads(), ...settings };
  if (!isPositiveInteger(pools.torch))
    throw expected('a positive integer', 'torch threads', pools.torch);
  if (!isPositiveInteger(pools.blas))
    throw expected('a positive integer', 'BLAS threads', pools.blas);
  addon().setThreads(pools.torch, pools.blas);
  chosen = true;
  return pools;
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
