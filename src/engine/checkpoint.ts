/**
 * The network half of a checkpoint: NAME.safetensors, whose tensor names are the PyTorch
 * state_dict keys of the equivalent nn.Sequential (src/engine/state-dict.ts), so
 * `model.load_state_dict(safetensors.torch.load_file(f))` works; metadata: format, the
 * layer list, epoch, step, anything else (src/engine/checkpoint-file.ts). Written
 * atomically with a SHA-256 per tensor, checked on every read, so a damaged checkpoint is
 * named, never used. The training-state half beside it (optimiser state, RNG) is
 * src/train/training-state.ts.
 *
 * A checkpoint is trusted in the order it is read: its header's layer list and tensor
 * sizes must agree before its data is read and a Network built from them, so a file of a
 * few hundred bytes cannot make us allocate gigabytes. Each file is read once.
 */
import { GradscopeFileError, GradscopeInputError } from '../core/errors';
import {
  CHECKPOINT_FORMAT,
  infoFromMetadata,
  readCheckpointFile,
  type CheckpointInfo,
} from './checkpoint-file';
import { resolveNetwork, type NetworkSpec } from './layers';
import { Network } from './network';
import { writeSafetensors, type Entry, type SafetensorsFile } from './safetensors';
import { placeStateDict, stateDict, stateDictMismatch } from './state-dict';
import { isPickle, readTorchSave } from './torch-save';
import { isTorchScriptFile, torchScriptSpec } from './torchscript';

/**
 * Writes the network's state_dict and `info` (the network's own spec added) to `file`.
 *
 * @example
 * ```ts
 * import { Network, networkSpec, saveNetwork } from 'gradscope';
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * saveNetwork('f1-init.safetensors', network, { epoch: 0, step: 0, extra: { seed: 0 } });
 * // in Python: safetensors.torch.load_file('f1-init.safetensors') has '1.weight', ...
 * ```
 */
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

/**
 * Checks, from the header alone, that the file's tensors hold exactly as many values as the
 * network it declares needs (parameters, plus mean, variance and count per batch norm):
 * so the Network built next is no larger than the file itself.
 */
function checkDeclaredSize(file: string, spec: NetworkSpec, entries: Entry[]): void {
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
  const held = entries.reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1), 0);
  if (held !== needed)
    throw new GradscopeFileError(
      file,
      `made for another network: its tensors hold ${held} values but the network it declares (${String(spec.name)}) needs ${needed}`,
    );
}

/** A file's tensors into `network`, which they must match tensor for tensor. */
function place(file: string, network: Network, read: SafetensorsFile, plain: boolean): void {
  const mismatch = stateDictMismatch(read.tensors, stateDict(network), plain);
  if (mismatch) throw new GradscopeFileError(file, `made for another network: ${mismatch}`);
  placeStateDict(network, read.tensors);
}

/** What a plain state_dict says of itself: the network's own spec, at epoch and step 0. */
function plainInfo(network: NetworkSpec): CheckpointInfo {
  return { network, epoch: 0, step: 0, extra: {} };
}

/**
 * Copies a checkpoint's tensors into `network`; the file must match it tensor for tensor.
 * A plain safetensors state_dict (written by PyTorch, no gradscope metadata) or a torch.save
 * state_dict (.pt, .pth) is accepted too: its names and shapes are checked against the network the same way, float32 and
 * float64 both accepted; its info is the network's own, at epoch and step 0.
 *
 * @example
 * ```ts
 * import { loadNetwork, Network, networkSpec } from 'gradscope';
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const info = loadNetwork('f1-trained-in-pytorch.safetensors', network); // a plain state_dict too
 * console.log(info.epoch);
 * ```
 */
export function loadNetwork(file: string, network: Network): CheckpointInfo {
  if (isTorchScriptFile(file)) return loadTorchScriptWeights(file, network);
  const read = isPickle(file) ? readTorchSave(file) : readCheckpointFile(file, { plain: true });
  const plain = read.metadata.format === undefined;
  const info = plain ? plainInfo(network.resolved.spec) : infoFromMetadata(file, read.metadata);
  place(file, network, read, plain);
  return info;
}

/** A TorchScript module's weights (e.g. the other end of a line), name by name. */
function loadTorchScriptWeights(file: string, network: Network): CheckpointInfo {
  const spec = torchScriptSpec(file);
  const tensors = new Map(
    stateDict(new Network(spec, { dtype: network.dtype })).map((t) => [t.name, t]),
  );
  place(file, network, { tensors, order: [...tensors.keys()], metadata: {} }, false);
  return plainInfo(spec);
}

function plainNeedsNetwork(file: string): GradscopeFileError {
  return new GradscopeFileError(
    file,
    `a plain state_dict without gradscope metadata: name its network with --network (a built-in name or a layer-list file)`,
  );
}

/**
 * A network built from the layer list a checkpoint carries, with its weights loaded; the
 * file is read once. `expected` (a --network argument) must name the same network. A plain
 * safetensors state_dict (from PyTorch, no gradscope metadata) needs `expected`: it is built
 * from that.
 *
 * @example
 * ```ts
 * import { networkFromCheckpoint } from 'gradscope';
 * const { network, info } = networkFromCheckpoint(
 *   'runs/thesis-f1/seeds/0/checkpoints/arm-5000/epoch-0030.safetensors',
 * );
 * console.log(network.name, info.epoch, info.step);
 * ```
 */
export function networkFromCheckpoint(
  file: string,
  expected?: NetworkSpec,
  dtype: 'float32' | 'float64' = 'float32',
): { network: Network; info: CheckpointInfo } {
  if (isTorchScriptFile(file)) {
    // a TorchScript module carries its own weights: it is the network
    const spec = torchScriptSpec(file);
    return { network: new Network(spec, { dtype }), info: plainInfo(spec) };
  }
  if (isPickle(file)) {
    if (!expected) throw plainNeedsNetwork(file);
    const network = new Network(expected, { dtype });
    return { network, info: loadNetwork(file, network) };
  }
  let declared: CheckpointInfo | undefined;
  const read = readCheckpointFile(file, {
    plain: true,
    check: ({ metadata, entries }) => {
      if (metadata.format === undefined) {
        if (!expected) throw plainNeedsNetwork(file);
        return;
      }
      const info = infoFromMetadata(file, metadata);
      if (expected && JSON.stringify(expected.layers) !== JSON.stringify(info.network.layers))
        throw new GradscopeFileError(
          file,
          `made for another network: it holds ${info.network.name}, not ${expected.name}`,
        );
      checkDeclaredSize(file, info.network, entries);
      declared = info;
    },
  });
  const network = new Network(declared?.network ?? expected!, { dtype });
  place(file, network, read, declared === undefined);
  return { network, info: declared ?? plainInfo(network.resolved.spec) };
}
