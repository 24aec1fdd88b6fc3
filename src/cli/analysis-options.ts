/**
 * The options the `analyze` subcommands share, declared once: the checkpoint, its network
 * and data, the evaluation sample and batch, the output folder; and their parsing.
 */
import { expected } from '../core/errors';
import { LIMITS } from '../engine/limits';
import type { ThreadSettings } from '../engine/threads';
import { checkpointState, type CheckpointState } from '../experiments/checkpoint-state';
import { networkSpec, torchScriptFile } from '../models';
import { absent, file, folder, integer, value } from './command';

/** --checkpoint FILE. */
export const CHECKPOINT = {
  checkpoint: file(
    'FILE',
    'none: required, unless --network is a TorchScript .pt',
    'the checkpoint: gradscope safetensors, a plain state_dict or a TorchScript .pt',
  ),
};

/** --network NET and --data D, which a checkpoint names itself unless told otherwise. */
export const NETWORK_AND_DATA = {
  network: value(
    'NET',
    'the one the checkpoint names',
    'the network: F1, C1, C2, C3, C4, ResNet20, ..., a .json layer list or a TorchScript .pt (a language model: MODULE.pt:context=N)',
  ),
  data: value(
    'D',
    'the data the checkpoint was trained on',
    'mnist, fashion-mnist, or a folder or file of data',
  ),
};

/** --out DIR. */
export const OUT = {
  out: folder('DIR', 'none: print only', 'also write the result, its tables and figures in DIR'),
};

/** --sample-size N and --eval-batch N of the line, the surface and the trajectory. */
export function evaluationDeclarations(defaults: { sampleSize: number; evalBatch: number }) {
  return {
    'sample-size': integer(
      'N',
      absent(`${defaults.sampleSize} (or the whole training set, if smaller)`),
      'training examples for the train loss and batch-norm recalibration',
    ),
    'eval-batch': integer('N', defaults.evalBatch, 'examples per evaluation pass', {
      max: LIMITS.batchSize,
    }),
  };
}

/** The checkpoint, its network and data, from --checkpoint (or `option`), --network, --data
 * and --threads. */
export function stateFrom(
  values: {
    checkpoint?: string | undefined;
    network?: string | undefined;
    data?: string | undefined;
    threads?: ThreadSettings | undefined;
  },
  option = '--checkpoint',
): CheckpointState {
  // a TorchScript --network carries its weights: it is the checkpoint unless one is given
  const scripted = values.network === undefined ? null : torchScriptFile(values.network);
  const file = values.checkpoint ?? scripted ?? undefined;
  if (!file) throw expected('a checkpoint file', option, file);
  const network = values.network ? networkSpec(values.network) : undefined;
  return checkpointState(file, {
    ...(network ? { network } : {}),
    ...(values.data !== undefined ? { data: values.data } : {}),
    ...(values.threads ? { threads: values.threads } : {}),
  });
}

/** --sample-size, --eval-batch and --seed, shared by the line, the surface and the trajectory. */
export function evaluationOptions(
  values: { 'sample-size': number | undefined; 'eval-batch': number; seed: number | undefined },
  defaults: { sampleSize: number },
  trainSize: number,
): { sampleSize: number; evalBatch: number; seed: number } {
  return {
    sampleSize: values['sample-size'] ?? Math.min(defaults.sampleSize, trainSize),
    evalBatch: values['eval-batch'],
    seed: values.seed ?? 0,
  };
}
