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
import { parseBoundedJson } from '../core/bounded-json';
import { GradscopeFileError, GradscopeInputError } from '../core/errors';
import { resolveNetwork, type NetworkSpec } from '../engine/layers';
import { addon } from '../engine/native';
import { Network } from '../engine/network';
import { readAt, withRegularFile } from '../core/regular-file';
import { readTorchSaveFile } from '../engine/torch-pickle';
import { isTorchScriptFile, torchScriptSpec } from '../engine/torchscript';
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

/** The network's tensors in state_dict order: each layer's parameters, then its buffers
 * (a batch norm's running_mean, running_var, num_batches_tracked follow its bias). */
export function stateDict(network: Network): NamedTensor[] {
  const out: NamedTensor[] = [];
  const stats = new Map(network.statisticsTable.map((s, i) => [s.name, { ...s, index: i }]));
  for (const p of network.parameterTable) {
    out.push({
      name: p.name,
      shape: p.shape,
      data: network.readParameters(p.offset, p.size),
    });
    if (!p.name.endsWith('.bias')) continue;
    const prefix = p.name.slice(0, -'.bias'.length);
    const s = stats.get(prefix);
    if (!s) continue;
    const f = s.features;
    out.push(
      {
        name: `${prefix}.running_mean`,
        shape: [f],
        data: network.readStatistics(s.meanOffset, f),
      },
      {
        name: `${prefix}.running_var`,
        shape: [f],
        data: network.readStatistics(s.varOffset, f),
      },
      {
        name: `${prefix}.num_batches_tracked`,
        shape: [],
        data: network.readBatchCounts(s.index, 1),
      },
    );
  }
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

/**
 * Copies a checkpoint's tensors into `network`; the file must match it tensor for tensor.
 * A plain safetensors state_dict (written by PyTorch, no gradscope metadata) or a torch.save
 * state_dict (.pt, .pth) is accepted too: its names and shapes are checked against the network the same way, float32 and
 * float64 both accepted; its info is the network's own, at epoch and step 0.
 */
export function loadNetwork(file: string, network: Network): CheckpointInfo {
  if (isTorchScriptFile(file)) return loadTorchScriptWeights(file, network);
  const read = isPickle(file) ? readTorchSave(file) : readStateDict(file);
  const plain = read.metadata.format === undefined;
  const info: CheckpointInfo = plain
    ? { network: network.resolved.spec, epoch: 0, step: 0, extra: {} }
    : checkpointInfo(file);
  const mismatch = stateDictMismatch(read.tensors, stateDict(network), plain);
  if (mismatch) throw new GradscopeFileError(file, `made for another network: ${mismatch}`);
  for (const [name, got] of read.tensors) place(network, name, got.data);
  return info;
}

/** A TorchScript module's weights (e.g. the other end of a line), name by name. */
function loadTorchScriptWeights(file: string, network: Network): CheckpointInfo {
  const spec = torchScriptSpec(file);
  const tensors = new Map(
    stateDict(new Network(spec, { dtype: network.dtype })).map((t) => [t.name, t]),
  );
  const mismatch = stateDictMismatch(tensors, stateDict(network), false);
  if (mismatch) throw new GradscopeFileError(file, `made for another network: ${mismatch}`);
  for (const [name, got] of tensors) place(network, name, got.data);
  return { network: spec, epoch: 0, step: 0, extra: {} };
}

/** Reads a safetensors file whole, checksums verified; a plain (non-gradscope) one allowed. */
function readStateDict(file: string): SafetensorsFile {
  let read: SafetensorsFile;
  try {
    read = readSafetensors(file);
  } catch (error) {
    if (error instanceof GradscopeFileError && error.message === `${file}: file not found`)
      throw new GradscopeFileError(file, 'no such checkpoint');
    throw error;
  }
  if (read.metadata.format !== undefined && read.metadata.format !== CHECKPOINT_FORMAT)
    throw new GradscopeFileError(
      file,
      `not a gradscope checkpoint (metadata format is ${JSON.stringify(read.metadata.format)}, expected "${CHECKPOINT_FORMAT}")`,
    );
  return read;
}

const FLOAT_TYPES = new Set<unknown>([Float32Array, Float64Array]);

/**
 * How a file's tensors differ from the network's state_dict, in at most a few lines (missing,
 * unexpected and wrong-shaped names, each list cut after a few); undefined when they agree.
 * `anyFloat`: float32 and float64 both fit a float tensor.
 */
export function stateDictMismatch(
  got: Map<string, NamedTensor>,
  want: NamedTensor[],
  anyFloat: boolean,
): string | undefined {
  const wanted = new Map(want.map((t) => [t.name, t]));
  const missing = want.filter((t) => !got.has(t.name)).map((t) => t.name);
  const unexpected = [...got.keys()].filter((name) => !wanted.has(name));
  const wrong: string[] = [];
  for (const w of want) {
    const g = got.get(w.name);
    if (!g) continue;
    const typeFits =
      g.data.constructor === w.data.constructor ||
      (anyFloat && FLOAT_TYPES.has(g.data.constructor) && FLOAT_TYPES.has(w.data.constructor));
    if (g.shape.join(',') !== w.shape.join(',') || !typeFits)
      wrong.push(
        `${w.name} is ${typeName(g.data)} [${g.shape.join(', ')}], needs ${typeName(w.data)} [${w.shape.join(', ')}]`,
      );
  }
  const list = (what: string, names: string[], most = 3) => {
    if (!names.length) return [];
    const shown = names.slice(0, most).join(', ');
    return [`${what} ${shown}${names.length > most ? ` and ${names.length - most} more` : ''}`];
  };
  const parts = [
    ...list('missing', missing),
    ...list('unexpected', unexpected),
    ...list('wrong shape:', wrong, 2),
  ];
  return parts.length ? parts.join('; ') : undefined;
}

function typeName(data: NamedTensor['data']): string {
  const names: Record<string, string> = {
    Float32Array: 'float32',
    Float64Array: 'float64',
    BigInt64Array: 'int64',
    Int32Array: 'int32',
    Uint8Array: 'uint8',
  };
  return names[data.constructor.name] ?? data.constructor.name;
}

/** Whether a file is a PyTorch pickle (torch.save: a zip archive or a bare pickle), by its
 * first bytes. */
export function isPickle(file: string): boolean {
  let head: Buffer;
  try {
    head = withRegularFile(file, (opened) => readAt(opened, 0, Math.min(opened.size, 4)));
  } catch {
    return false; // the reader that follows names the problem
  }
  const zip = head.length >= 4 && head.readUInt32LE(0) === 0x04034b50;
  const pickle = head.length >= 2 && head[0] === 0x80 && head[1]! <= 5;
  return zip || pickle;
}

const CONVERT =
  "convert it with python3 -c \"import torch, safetensors.torch as s; s.save_file(torch.load('IN.pt'), 'OUT.safetensors')\"";

/**
 * A state_dict written by torch.save, read by a pickle machine that builds tensors, dicts
 * and tuples only and refuses every other class (src/engine/torch-pickle.ts), so no code
 * runs. Anything else (a whole pickled model, the legacy format) gets one line saying how to
 * convert it.
 */
export function readTorchSave(file: string): SafetensorsFile {
  let tensors: Map<string, NamedTensor>;
  try {
    tensors = readTorchSaveFile(file);
  } catch (error) {
    if (!(error instanceof GradscopeFileError)) throw error;
    const why = error.message.startsWith(`${file}: `)
      ? error.message.slice(file.length + 2)
      : error.message;
    throw new GradscopeFileError(
      file,
      `a PyTorch pickle gradscope cannot read as a state_dict without running code (${why}); ${CONVERT}`,
    );
  }
  return { tensors, order: [...tensors.keys()], metadata: {} };
}

function place(network: Network, name: string, data: NamedTensor['data']): void {
  const p = network.parameterTable.find((e) => e.name === name);
  if (p) {
    network.writeParameters(data as ArrayLike<number>, p.offset);
    return;
  }
  const cut = name.lastIndexOf('.');
  const prefix = name.slice(0, cut);
  const field = name.slice(cut + 1);
  const index = network.statisticsTable.findIndex((s) => s.name === prefix);
  const s = network.statisticsTable[index]!;
  if (field === 'running_mean') network.writeStatistics(data as ArrayLike<number>, s.meanOffset);
  else if (field === 'running_var') network.writeStatistics(data as ArrayLike<number>, s.varOffset);
  else network.writeBatchCounts(data as BigInt64Array, index);
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
 * `expected` (a --network argument) must name the same network. A plain safetensors
 * state_dict (from PyTorch, no gradscope metadata) needs `expected`: it is built from that. */
export function networkFromCheckpoint(
  file: string,
  expected?: NetworkSpec,
  dtype: 'float32' | 'float64' = 'float32',
): { network: Network; info: CheckpointInfo } {
  if (isTorchScriptFile(file)) {
    // a TorchScript module carries its own weights: it is the network
    const spec = torchScriptSpec(file);
    return {
      network: new Network(spec, { dtype }),
      info: { network: spec, epoch: 0, step: 0, extra: {} },
    };
  }
  if (isPickle(file) || isPlainStateDict(file)) {
    if (!expected)
      throw new GradscopeFileError(
        file,
        `a plain state_dict without gradscope metadata: name its network with --network (a built-in name or a layer-list file)`,
      );
    const network = new Network(expected, { dtype });
    return { network, info: loadNetwork(file, network) };
  }
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

/** Whether a safetensors file carries no gradscope metadata (header only). */
function isPlainStateDict(file: string): boolean {
  try {
    return readSafetensorsHeader(file).metadata.format === undefined;
  } catch {
    return false; // the checkpoint reader that follows names the problem
  }
}

/** Reads a checkpoint's network and training-state files whole, checksums and all;
 * throws the GradscopeFileError of the first problem. Nothing is loaded anywhere. */
export function verifyCheckpoint(file: string): void {
  readCheckpoint(file);
  readCheckpoint(trainingStateFile(file));
}
