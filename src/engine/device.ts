/**
 * The engine's device: where datasets, the flat parameter and gradient vectors, batch-norm
 * buffers and optimizer state live. One per process, chosen before the first Dataset or
 * Network (`--device cpu|cuda|cuda:N|auto`, or a study config's `device`); a library user who
 * never chooses gets the CPU. `auto` takes the first GPU when the linked libtorch sees one,
 * else the CPU.
 *
 * GRADSCOPE_ZERO_COPY=0 turns the CPU's zero-copy views of the flat vectors off, so that the
 * explicit reads and writes every other device needs run on the CPU too (and are tested there).
 */
import { expected, GradscopeInputError } from '../core/errors';
import { addon, type NativeDeviceInfo } from './native';

/** What --device accepts. */
const DEVICE = /^(cpu|cuda|cuda:(0|[1-9]\d{0,3})|auto)$/;

/** The value of --device (or a config's device) checked for its form: cpu, cuda, cuda:N, auto. */
export function parseDevice(value: unknown, option: string): string {
  if (typeof value !== 'string' || !DEVICE.test(value))
    throw expected('cpu, cuda, cuda:N or auto', option, value);
  return value;
}

/** The device a choice means on this machine: "cpu" or "cuda:N", or one clear line why not. */
export function resolveDevice(value: unknown, option: string): string {
  const choice = parseDevice(value, option);
  const info = addon().deviceInfo();
  if (choice === 'cpu') return 'cpu';
  if (choice === 'auto') return info.cuda && info.gpus > 0 ? 'cuda:0' : 'cpu';
  const index = choice === 'cuda' ? 0 : Number(choice.slice('cuda:'.length));
  if (!info.cuda)
    throw new GradscopeInputError(
      `${option} ${choice}: the libtorch gradscope was built against has no CUDA (node scripts/libtorch.js explain says which libtorch a build takes; rebuild against a PyTorch with CUDA: npm run build:native)`,
    );
  if (info.gpus === 0)
    throw new GradscopeInputError(`${option} ${choice}: libtorch sees no GPU on this machine`);
  if (index >= info.gpus)
    throw new GradscopeInputError(
      `${option} ${choice}: libtorch sees ${info.gpus} GPU${info.gpus === 1 ? '' : 's'} (cuda:0 to cuda:${info.gpus - 1})`,
    );
  return `cuda:${index}`;
}

/**
 * Chooses the engine's device for every Dataset and Network made from now on; returns it.
 *
 * @example
 * ```ts
 * import { deviceInfo, Network, networkSpec, useDevice } from 'gradscope';
 * useDevice('auto'); // the first GPU libtorch sees, else the CPU; before any network or data
 * const network = new Network(networkSpec('C1'), { seed: 0 });
 * console.log(network.device, deviceInfo().gpus);
 * ```
 */
export function useDevice(value: unknown, option = '--device'): string {
  pending = undefined;
  return addon().setDevice(resolveDevice(value, option));
}

/** A choice made without loading the engine (the command line's default, auto), applied by
 * the first Dataset or Network (settleDevice) so commands that compute nothing never load it. */
let pending: { value: string; option: string } | undefined;

export function requestDevice(value: string, option = '--device'): void {
  pending = { value: parseDevice(value, option), option };
}

/** Applies a requested device, once; called by the Dataset and Network constructors. */
export function settleDevice(): void {
  if (pending) useDevice(pending.value, pending.option);
}

/**
 * What the linked libtorch reaches and where new datasets and networks go.
 *
 * @example
 * ```ts
 * import { deviceInfo } from 'gradscope';
 * const info = deviceInfo();
 * console.log(
 *   info.cuda ? `CUDA ${info.cudaVersion}, ${info.gpus} GPU(s)` : 'CPU only',
 *   info.device,
 * );
 * ```
 */
export function deviceInfo(): NativeDeviceInfo {
  return addon().deviceInfo();
}

/** Waits until the engine's device has finished every queued operation (a GPU runs them
 * asynchronously: a timing must wait for them; on the CPU they are done when a call returns). */
export function synchronize(): void {
  addon().synchronize();
}

/** Whether CPU networks expose zero-copy views (GRADSCOPE_ZERO_COPY=0: they do not). */
export function zeroCopyViews(): boolean {
  return process.env.GRADSCOPE_ZERO_COPY !== '0';
}

/**
 * --deterministic: libtorch's deterministic algorithms (an operation without one fails) and
 * cuDNN's deterministic, non-benchmarking convolutions. On the CPU gradscope's results are
 * already bit-identical from run to run; see docs/gpu.md for what this gives on a GPU.
 *
 * @example
 * ```ts
 * import { setDeterministic, useDevice } from 'gradscope';
 * useDevice('cuda');
 * setDeterministic(true); // the same g_B bits from run to run on this GPU
 * ```
 */
export function setDeterministic(on: boolean): void {
  // cuBLAS is deterministic only with a fixed workspace, which it reads when its first handle
  // is made; libtorch refuses matrix products in deterministic mode without it
  if (on && process.env.CUBLAS_WORKSPACE_CONFIG === undefined)
    process.env.CUBLAS_WORKSPACE_CONFIG = ':4096:8';
  addon().setDeterministic(on);
}
