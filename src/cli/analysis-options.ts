/**
 * The options the `analyze` subcommands share, declared once: the checkpoint, its network
 * and data, the evaluation sample and batch, the output folder; and their parsing.
 */
import { expected } from '../core/errors';
import { LIMITS } from '../engine/limits';
import { checkpointState, type CheckpointState } from '../experiments/checkpoint-state';
import { networkSpec } from '../models';
import { value, type OptionDeclarations } from './command';
import { integerOption, threadsOption } from './options';

/** --checkpoint FILE. */
export const CHECKPOINT: OptionDeclarations = {
  checkpoint: value(
    'FILE',
    'none: required, unless --network is a TorchScript .pt',
    'the checkpoint: gradscope safetensors, a plain state_dict or a TorchScript .pt',
  ),
};

/** --network NET and --data D, which a checkpoint names itself unless told otherwise. */
export const NETWORK_AND_DATA: OptionDeclarations = {
  network: value(
    'NET',
    'the one the checkpoint names',
    'the network: F1, C1, C2, C3, C4, ResNet20, ..., a .json layer list or a TorchScript .pt',
  ),
  data: value(
    'D',
    'the data the checkpoint was trained on',
    'mnist, fashion-mnist, or a folder or file of data',
  ),
};

/** --out DIR. */
export const OUT: OptionDeclarations = {
  out: value('DIR', 'none: print only', 'also write the result, its tables and figures in DIR'),
};

/** --sample-size N and --eval-batch N of the line, the surface and the trajectory. */
export function evaluationDeclarations(defaults: {
  sampleSize: number;
  evalBatch: number;
}): OptionDeclarations {
  return {
    'sample-size': value(
      'N',
      `${defaults.sampleSize} (or the whole training set, if smaller)`,
      'training examples for the train loss and batch-norm recalibration',
    ),
    'eval-batch': value('N', String(defaults.evalBatch), 'examples per evaluation pass'),
  };
}

/** The checkpoint, its network and data, from --checkpoint (or `option`), --network, --data
 * and --threads. */
export function stateFrom(
  values: Record<string, unknown>,
  option = '--checkpoint',
): CheckpointState {
  // a TorchScript --network carries its weights: it is the checkpoint unless one is given
  const file = (values.checkpoint ??
    (/\.(pt|pth)$/i.test(String(values.network ?? '')) ? values.network : undefined)) as
    string | undefined;
  if (!file) throw expected('a checkpoint file', option, file);
  const network = values.network ? networkSpec(String(values.network)) : undefined;
  const threads = threadsOption(values.threads);
  return checkpointState(file, {
    ...(network ? { network } : {}),
    ...(values.data !== undefined ? { data: values.data as string } : {}),
    ...(threads ? { threads } : {}),
  });
}

/** --sample-size, --eval-batch and --seed, shared by the line, the surface and the trajectory. */
export function evaluationOptions(
  values: Record<string, unknown>,
  defaults: { sampleSize: number; evalBatch: number },
  trainSize: number,
): { sampleSize: number; evalBatch: number; seed: number } {
  return {
    sampleSize: integerOption(
      values['sample-size'],
      '--sample-size',
      Math.min(defaults.sampleSize, trainSize),
    ),
    evalBatch: integerOption(
      values['eval-batch'],
      '--eval-batch',
      defaults.evalBatch,
      1,
      LIMITS.batchSize,
    ),
    seed: integerOption(values.seed, '--seed', 0, 0),
  };
}
