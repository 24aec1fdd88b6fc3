/**
 * The state every analysis starts from: the network a checkpoint holds, with its weights,
 * and the data set it was trained on (or another one), checked to fit each other.
 */
import { loadData, type StudyData } from '../data/load';
import { expected } from '../core/errors';
import type { NetworkSpec } from '../engine/layers';
import { checkNetworkFitsData, type Network } from '../engine/network';
import { setThreads, threadsFor, type ThreadSettings } from '../engine/threads';
import { networkFromCheckpoint } from '../engine/checkpoint';
import { type CheckpointInfo } from '../engine/checkpoint-file';
import { tokenWindowsFor } from '../engine/data-options';
import type { DataSubset } from '../data/subset';

/**
 * A checkpoint's network with its weights, what the file says of it, and the data.
 *
 * @example
 * ```ts
 * import { checkpointState, type CheckpointState } from 'gradscope';
 * const state: CheckpointState = checkpointState(
 *   'runs/thesis-f1/seeds/0/checkpoints/arm-5000/epoch-0030.safetensors',
 * );
 * console.log(state.network.name, state.data.name, state.info.epoch);
 * ```
 */
export interface CheckpointState {
  file: string;
  network: Network;
  info: CheckpointInfo;
  data: StudyData;
}

/**
 * Loads `file` (safetensors with gradscope metadata; a plain state_dict or TorchScript
 * module when `network` names the network) and the data set: `data` if given, otherwise the
 * one the checkpoint names (standardised as it was in training). The thread pools are set
 * to `threads`, or to the network's per-workload default.
 *
 * @example
 * ```ts
 * import { analyzeGradients, checkpointState, DEFAULT_GRADIENT_ANALYSIS } from 'gradscope';
 * const { network, data } = checkpointState(
 *   'runs/thesis-f1/seeds/0/checkpoints/arm-5000/epoch-0030.safetensors',
 * );
 * const b = await analyzeGradients(network, data, {
 *   ...DEFAULT_GRADIENT_ANALYSIS,
 *   batchSizes: [256, 1000, 2000, 5000],
 *   purpose: 'arm 5000, last epoch',
 * });
 * console.log(b.bSimple);
 * ```
 */
export function checkpointState(
  file: string,
  options: { network?: NetworkSpec; data?: string; threads?: ThreadSettings } = {},
): CheckpointState {
  const { network, info } = networkFromCheckpoint(file, options.network);
  const extra = info.extra as { data?: string; standardise?: boolean; subset?: DataSubset };
  const dataArgument = options.data ?? extra.data;
  if (!dataArgument)
    throw expected('a data set (the checkpoint does not name one)', '--data', undefined);
  setThreads(options.threads ?? threadsFor(info.network));
  const data = loadData(dataArgument, {
    standardise: Boolean(extra.standardise),
    // the examples it was trained on, when the data are the checkpoint's own
    ...(extra.subset && !options.data ? { subset: extra.subset } : {}),
    // a module states no context: --network MODULE.pt:context=N does
    ...tokenWindowsFor(options.network ?? info.network),
  });
  checkNetworkFitsData(info.network, data.train);
  return { file, network, info, data };
}
