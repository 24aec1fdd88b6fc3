/**
 * Checkpoints in safetensors, two files per checkpoint:
 *
 *   NAME.safetensors        the network: tensor names are the PyTorch state_dict keys
 *                           of the equivalent nn.Sequential ("1.weight",
 *                           "2.running_mean", "2.num_batches_tracked" as int64), so
 *                           `model.load_state_dict(safetensors.torch.load_file(f))` works;
 *                           metadata: format, the layer list, epoch, step, anything else.
 *   NAME.train.safetensors  what resuming needs besides: the optimiser state
 *                           ("optimizer.exp_avg", ...), torch's RNG state ("rng.torch")
 *                           and JSON metadata (optimizer settings, step, sampler state).
 *
 * Both are written atomically; the training state first, so a network file on disk
 * always has its training state beside it. Both carry a SHA-256 per tensor (checked on
 * every read), so a damaged checkpoint is named, never trained on.
 *
 * A checkpoint is trusted in the order it is read: its header's layer list and tensor
 * sizes must agree before a Network is built from them, so a file of a few hundred bytes
 * cannot make us allocate gigabytes.
 */
import { parseBoundedJson } from '../engine/bounded-json';
import { GradscopeFileError, GradscopeInputError } from '../engine/errors';
import { resolveNetwork, type NetworkSpec } from '../engine/layers';
import { addon } from '../engine/native';
import { Network } from '../engine/network';
import type { Optimizer, OptimizerSettings } from '../engine/optimizer';
import {
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
  type NamedTensor,
  type SafetensorsFile,
} from '../engine/safetensors';

export const CHECKPOINT_FORMAT = 'gradscope-checkpoint-1';

export interface CheckpointInfo {
  network: NetworkSpec;
  epoch: number;
  step: number;
  /** Free-form facts stored as JSON (data set, seed, config hash, ...). */
  extra: Record<string, unknown>;
}

/** The network's tensors in state_dict order: each layer's parameters, then its buffers. */
export function stateDict(network: Network): NamedTensor[] {
  const out: NamedTensor[] = [];
  const stats = new Map(network.statisticsTable.map((s, i) => [s.layer, { ...s, index: i }]));
  const byLayer = new Map<number, NamedTensor[]>();
  for (const p of network.parameterTable) {
    const layer = Number(p.name.split('.')[0]);
    const list = byLayer.get(layer) ?? [];
    list.push({
      name: p.name,
      shape: p.shape,
      data: network.parameters.slice(p.offset, p.offset + p.size),
    });
    byLayer.set(layer, list);
  }
  network.resolved.layers.forEach((_, layer) => {
    out.push(...(byLayer.get(layer) ?? []));
    const s = stats.get(layer);
    if (s) {
      const f = s.features;
      out.push(
        {
          name: `${layer}.running_mean`,
          shape: [f],
          data: network.statistics.slice(s.meanOffset, s.meanOffset + f),
        },
        {
          name: `${layer}.running_var`,
          shape: [f],
          data: network.statistics.slice(s.varOffset, s.varOffset + f),
        },
        {
          name: `${layer}.num_batches_tracked`,
          shape: [],
          data: network.batchCounts.slice(s.index, s.index + 1),
        },
      );
    }
  });
  return out;
}

export function trainingStateFile(file: string): string {
  return file.replace(/\.safetensors$/, '') + '.train.safetensors';
}

export function saveNetwork(
  file: string,
  network: Network,
  info: Omit<CheckpointInfo, 'network'>,
): void {
  writeSafetensors(
    file,
    stateDict(network),
    {
      format: CHECKPOINT_FORMAT,
      network: JSON.stringify(network.resolved.spec),
      epoch: String(info.epoch),
      step: String(info.step),
      extra: JSON.stringify(info.extra),
    },
    { checksums: true },
  );
}

/** Reads a checkpoint whole, its checksums verified; `headerOnly` reads no tensor data. */
function readCheckpoint(file: string): SafetensorsFile;
function readCheckpoint(file: string, headerOnly: true): Pick<SafetensorsFile, 'metadata'>;
function readCheckpoint(file: string, headerOnly = false): Pick<SafetensorsFile, 'metadata'> {
  let read: Pick<SafetensorsFile, 'metadata'>;
  try {
    read = headerOnly ? readSafetensorsHeader(file) : readSafetensors(file);
  } catch (error) {
    if (error instanceof GradscopeFileError && error.message === `${file}: file not found`)
      throw new GradscopeFileError(file, 'no such checkpoint');
    throw error;
  }
  if (read.metadata.format !== CHECKPOINT_FORMAT)
    throw new GradscopeFileError(
      file,
      `not a gradscope checkpoint (metadata format is ${JSON.stringify(read.metadata.format ?? null)}, expected "${CHECKPOINT_FORMAT}")`,
    );
  return read;
}

/** Metadata JSON nests a few levels (a layer list); anything deeper is not ours. */
const MAX_METADATA_DEPTH = 16;

function metadataJson(
  file: string,
  text: string | undefined,
  fallback: string,
  what = 'checkpoint metadata',
): unknown {
  const parsed = parseBoundedJson(text ?? fallback, MAX_METADATA_DEPTH);
  if ('problem' in parsed) throw new GradscopeFileError(file, `${what} ${parsed.problem}`);
  return parsed.value;
}

/** What a checkpoint says about itself, from its header alone (no tensor data read). */
export function checkpointInfo(file: string): CheckpointInfo {
  const { metadata } = readCheckpoint(file, true);
  return {
    network: metadataJson(file, metadata.network, '') as NetworkSpec,
    epoch: Number(metadata.epoch),
    step: Number(metadata.step),
    extra: metadataJson(file, metadata.extra, '{}') as Record<string, unknown>,
  };
}

/**
 * Checks, from the header alone, that the file's tensors hold exactly as many values as the
 * network it declares needs (parameters, plus mean, variance and count per batch norm):
 * so the Network built next is no larger than the file itself.
 */
function checkDeclaredSize(file: string, spec: NetworkSpec): void {
  let resolved: ReturnType<typeof resolveNetwork>;
  try {
    resolved = resolveNetwork(spec);
  } catch (error) {
    if (error instanceof GradscopeInputError)
      throw new GradscopeFileError(file, `declares a network that is not valid: ${error.message}`);
    throw error;
  }
  const needed =
    resolved.parameterCount + resolved.statistics.reduce((sum, s) => sum + 2 * s.features + 1, 0);
  const held = readSafetensorsHeader(file).entries.reduce(
    (sum, e) => sum + e.shape.reduce((a, b) => a * b, 1),
    0,
  );
  if (held !== needed)
    throw new GradscopeFileError(
      file,
      `made for another network: its tensors hold ${held} values but the network it declares (${String(spec.name)}) needs ${needed}`,
    );
}

/** Copies a checkpoint's tensors into `network`; the file must match it tensor for tensor. */
export function loadNetwork(file: string, network: Network): CheckpointInfo {
  const read = readCheckpoint(file);
  const info = checkpointInfo(file);
  const expected = stateDict(network);
  const names = new Set(expected.map((t) => t.name));
  for (const name of read.tensors.keys())
    if (!names.has(name))
      throw new GradscopeFileError(
        file,
        `made for another network: it has tensor "${name}" which ${network.name} does not`,
      );
  const writes: (() => void)[] = [];
  for (const want of expected) {
    const got = read.tensors.get(want.name);
    if (!got)
      throw new GradscopeFileError(
        file,
        `made for another network: tensor "${want.name}" of ${network.name} is missing`,
      );
    if (
      got.shape.join(',') !== want.shape.join(',') ||
      got.data.constructor !== want.data.constructor
    )
      throw new GradscopeFileError(
        file,
        `made for another network: tensor "${want.name}" is ${got.data.constructor.name} [${got.shape.join(', ')}], ${network.name} needs ${want.data.constructor.name} [${want.shape.join(', ')}]`,
      );
    writes.push(() => place(network, want.name, got.data));
  }
  for (const write of writes) write(); // only once every tensor has been checked
  return info;
}

function place(network: Network, name: string, data: NamedTensor['data']): void {
  const [layerText, field] = name.split('.') as [string, string];
  const layer = Number(layerText);
  const p = network.parameterTable.find((e) => e.name === name);
  if (p) {
    network.parameters.set(data as typeof network.parameters, p.offset);
    return;
  }
  const index = network.statisticsTable.findIndex((s) => s.layer === layer);
  const s = network.statisticsTable[index]!;
  if (field === 'running_mean')
    network.statistics.set(data as typeof network.statistics, s.meanOffset);
  else if (field === 'running_var')
    network.statistics.set(data as typeof network.statistics, s.varOffset);
  else network.batchCounts.set(data as BigInt64Array, index);
}

export interface TrainingState {
  optimizer: { settings: OptimizerSettings; step: number };
  /** Anything else the trainer needs to continue exactly (sampler position, ...). */
  extra: Record<string, unknown>;
}

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
  const read = readCheckpoint(file);
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

/** A network built from the layer list a checkpoint carries, with its weights loaded.
 * `expected` (a --network argument) must name the same network. */
export function networkFromCheckpoint(
  file: string,
  expected?: NetworkSpec,
  dtype: 'float32' | 'float64' = 'float32',
): { network: Network; info: CheckpointInfo } {
  const info = checkpointInfo(file);
  if (expected && JSON.stringify(expected.layers) !== JSON.stringify(info.network.layers))
    throw new GradscopeFileError(
      file,
      `made for another network: it holds ${info.network.name}, not ${expected.name}`,
    );
  checkDeclaredSize(file, info.network);
  const network = new Network(info.network, { dtype });
  loadNetwork(file, network);
  return { network, info };
}

/** Reads a checkpoint's network and training-state files whole, checksums and all;
 * throws the GradscopeFileError of the first problem. Nothing is loaded anywhere. */
export function verifyCheckpoint(file: string): void {
  readCheckpoint(file);
  readCheckpoint(trainingStateFile(file));
}
