/**
 * The training-state half of a checkpoint, NAME.train.safetensors beside the network's
 * NAME.safetensors (src/engine/checkpoint.ts): what resuming needs besides the network,
 * the optimiser state ("optimizer.exp_avg", ...), torch's RNG state ("rng.torch") and JSON
 * metadata (optimizer settings, step, sampler state). Written atomically and first, so a
 * network file on disk always has its training state beside it; a SHA-256 per tensor,
 * checked on every read.
 */
import { GradscopeFileError } from '../core/errors';
import { CHECKPOINT_FORMAT, metadataJson, readCheckpointFile } from '../engine/checkpoint-file';
import { addon } from '../engine/native';
import type { Optimizer, OptimizerSettings } from '../engine/optimizer';
import { writeSafetensors, type NamedTensor } from '../engine/safetensors';
import { trainingStateFile } from '../store/checkpoint-files';

export interface TrainingState {
  optimizer: { settings: OptimizerSettings; step: number };
  /** Anything else the trainer needs to continue exactly (sampler position, ...). */
  extra: Record<string, unknown>;
}

/** Writes the optimiser state, torch's RNG and `extra` beside the network file `file`. */
export function saveTrainingState(
  file: string,
  optimizer: Optimizer,
  extra: Record<string, unknown>,
): void {
  const state = optimizer.state();
  const tensors: NamedTensor[] = Object.entries(state.tensors).map(([name, data]) => ({
    name: `optimizer.${name}`,
    shape: [data.length],
    data,
  }));
  const rng = addon().rngState();
  tensors.push({ name: 'rng.torch', shape: [rng.length], data: rng });
  writeSafetensors(
    trainingStateFile(file),
    tensors,
    {
      format: CHECKPOINT_FORMAT,
      optimizer: JSON.stringify({ settings: optimizer.settings, step: state.step }),
      extra: JSON.stringify(extra),
    },
    { checksums: true },
  );
}

/** Restores the optimiser state and torch's RNG; returns the stored facts. */
export function loadTrainingState(networkFile: string, optimizer: Optimizer): TrainingState {
  const file = trainingStateFile(networkFile);
  const read = readCheckpointFile(file);
  const what = 'training-state metadata';
  const parsed: TrainingState = {
    optimizer: metadataJson(file, read.metadata.optimizer, '', what) as TrainingState['optimizer'],
    extra: metadataJson(file, read.metadata.extra, '{}', what) as Record<string, unknown>,
  };
  const stored = parsed.optimizer as Partial<TrainingState['optimizer']> | null;
  if (typeof stored?.settings !== 'object' || stored.settings === null)
    throw new GradscopeFileError(file, `${what} holds no optimizer settings`);
  if (parsed.optimizer.settings.kind !== optimizer.settings.kind)
    throw new GradscopeFileError(
      file,
      `holds ${parsed.optimizer.settings.kind} state but the optimizer is ${optimizer.settings.kind}`,
    );
  const tensors: Record<string, Float32Array | Float64Array> = {};
  for (const [name, t] of read.tensors)
    if (name.startsWith('optimizer.'))
      tensors[name.slice('optimizer.'.length)] = t.data as Float32Array | Float64Array;
  const rng = read.tensors.get('rng.torch');
  if (!rng || !(rng.data instanceof Uint8Array))
    throw new GradscopeFileError(file, 'the RNG state "rng.torch" is missing');
  optimizer.setState({ step: parsed.optimizer.step, tensors });
  addon().setRngState(rng.data);
  return parsed;
}
