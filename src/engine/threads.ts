/**
 * Thread and memory settings of the engine. Two pools compete for the cores: torch's
 * intra-op (OpenMP) threads, which oneDNN's kernels use, and OpenBLAS's own (threadsFor
 * below says which wins where).
 * Besides the pools: whether freed memory stays in the process, and the convolutions'
 * memory format. `gradscope bench --tune` stores this machine's fastest choice of all
 * four (tuning.ts); without that file the rules below hold.
 */
import * as os from 'os';
import { expected, isPositiveInteger } from '../core/errors';
import { LIMITS } from './limits';
import { addon } from './native';
import type { NetworkSpec } from './layers';
import { networkFamily, tunedFor } from './tuning';

export interface ThreadSettings {
  torch: number;
  blas: number;
  /** Freed memory kept in the process (default) or returned to the system. */
  memory?: 'kept' | 'returned';
  /** The memory format convolutions take their input in; default channels-last. */
  convolutionFormat?: 'channels-last' | 'contiguous';
  /**
   * What multiplies float32 Linear layers on the CPU: oneDNN's JIT kernels (default), or the
   * linked BLAS. oneDNN runs on torch's threads. Float64 always uses BLAS.
   */
  linear?: 'onednn' | 'blas';
  /** Where these settings come from: the tuning file, or the built-in rules. */
  source?: 'tuned' | 'rules';
}

/**
 * The Linear kernels when nothing else says: oneDNN, or the linked BLAS when the environment
 * variable GRADSCOPE_LINEAR=blas asks (to run PyTorch's own kernels, for instance to compare
 * with a PyTorch run step for step).
 */
export function defaultLinear(): 'onednn' | 'blas' {
  const v = process.env.GRADSCOPE_LINEAR;
  if (v === undefined || v === '' || v === 'onednn') return 'onednn';
  if (v === 'blas') return 'blas';
  throw expected('"onednn" or "blas"', 'the environment variable GRADSCOPE_LINEAR', v);
}

export function defaultThreads(): ThreadSettings {
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  return { torch: 1, blas: cores };
}

/** Whether the pools have been set in this process (by setThreads or the first network). */
let chosen = false;
let current: ThreadSettings | undefined;

/** The first network of a process that never called setThreads sets the pools for its
 * own kind (threadsFor): a library user gets the command line's speed without asking. */
export function threadsForFirstNetwork(
  network: NetworkSpec,
  dtype: 'float32' | 'float64' = 'float32',
): void {
  if (!chosen) setThreads(threadsFor(network, { dtype }));
}

/**
 * `--threads N` sets both pools to N; the default is defaultThreads(), memory kept and
 * convolutions channels-last.
 *
 * @example
 * ```ts
 * import { setThreads } from 'gradscope';
 * // F1 in float64 spends its time in BLAS: one torch thread, BLAS on two cores
 * const chosen = setThreads({ torch: 1, blas: 2 });
 * console.log(`torch ${chosen.torch}, BLAS ${chosen.blas}`);
 * ```
 */
export function setThreads(settings: Partial<ThreadSettings> = {}): ThreadSettings {
  const pools: ThreadSettings = {
    ...defaultThreads(),
    memory: 'kept',
    convolutionFormat: 'channels-last',
    linear: defaultLinear(),
    ...settings,
  };
  if (!isPositiveInteger(pools.torch) || pools.torch > LIMITS.threads)
    throw expected(`an integer from 1 to ${LIMITS.threads}`, 'torch threads', pools.torch);
  if (!isPositiveInteger(pools.blas) || pools.blas > LIMITS.threads)
    throw expected(`an integer from 1 to ${LIMITS.threads}`, 'BLAS threads', pools.blas);
  if (pools.memory !== 'kept' && pools.memory !== 'returned')
    throw expected('"kept" or "returned"', 'memory', pools.memory);
  if (pools.convolutionFormat !== 'channels-last' && pools.convolutionFormat !== 'contiguous')
    throw expected(
      '"channels-last" or "contiguous"',
      'convolution format',
      pools.convolutionFormat,
    );
  if (pools.linear !== 'onednn' && pools.linear !== 'blas')
    throw expected('"onednn" or "blas"', 'linear', pools.linear);
  addon().setThreads(pools.torch, pools.blas);
  addon().setMemory(pools.memory === 'kept');
  addon().setChannelsLast(pools.convolutionFormat === 'channels-last');
  addon().setOneDnnLinear(pools.linear === 'onednn');
  chosen = true;
  current = pools;
  return pools;
}

/** Gives the memory this process holds free back to the system once (e.g. before another
 * process needs it); the memory setting itself is unchanged. */
export function returnFreeMemory(): void {
  addon().setMemory(false);
  addon().setMemory(current?.memory !== 'returned');
}

export function threads(): { torch: number; blas: number; blasConfig: string } {
  return addon().threads();
}

/** What threadsFor needs to know of a workload besides its network. */
export interface Workload {
  /** the batch size; without it, the largest tuned one */
  batch?: number;
  /** the network's floating-point type (default float32) */
  dtype?: 'float32' | 'float64';
  /** the Linear layers' kernels (default: defaultLinear()) */
  linear?: 'onednn' | 'blas';
}

/**
 * The settings a workload runs fastest with here: the tuning file's choice for the
 * network's family at the tuned batch size nearest `batch` (the largest without it),
 * when `gradscope bench --tune` stored one for this machine; otherwise the rules. Float32
 * networks spend their time in oneDNN (Linear layers, native/linear.cc, and convolutions),
 * which runs on torch's threads: every core to torch and to BLAS. Float64 fully connected
 * networks spend it in BLAS matrix products, where a second busy pool only competes:
 * 1 torch thread, BLAS on every core. Measured on the 2-core development machine (F1 step,
 * ms, torch/BLAS threads): B = 256 oneDNN 37.9 (1/2), 21.8 (2/2); BLAS 72.5 (1/2), 197.6
 * (2/2). `gradscope bench --explore` measures the thread alternatives.
 */
export function threadsFor(network: NetworkSpec, workload: Workload = {}): ThreadSettings {
  const { batch, dtype = 'float32', linear = defaultLinear() } = workload;
  const family = networkFamily(network);
  const tuned = tunedFor(family, batch);
  if (tuned)
    return {
      torch: tuned.torch,
      blas: tuned.blas,
      memory: tuned.memory,
      convolutionFormat: tuned.convolutionFormat,
      linear: tuned.linear,
      source: 'tuned',
    };
  const { blas } = defaultThreads();
  // a TorchScript module's Linear layers take the same kernels (its aten::linear is rewritten)
  const inBlas = dtype === 'float64' || linear === 'blas';
  return family === 'fully-connected' && inBlas
    ? { torch: 1, blas, source: 'rules' }
    : { torch: blas, blas, source: 'rules' };
}
