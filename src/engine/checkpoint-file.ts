/**
 * The gradscope checkpoint format on disk: a safetensors file whose metadata says
 * `format: gradscope-checkpoint-2`, with JSON facts beside the tensors (the network's layer
 * list, epoch, step, anything else). Both halves of a checkpoint, the network
 * (src/engine/checkpoint.ts) and the training state (src/train/training-state.ts), are such
 * files; this reads them, checks the format and parses their metadata.
 *
 * Version 2 must carry the checksum of its header (src/engine/header-checksum.ts) besides
 * its tensors' (so the epoch, the step, the optimiser's step count, the first loss and every
 * other fact are verified as the tensors are); a version 2 file without it is refused as
 * damaged. Version 1 (its metadata unchecked, tensors checked when it recorded them) is still
 * read, so a run begun before version 2 resumes. Whatever its format, a header that carries
 * its checksum is verified on every read, the header-only read included.
 */
import { parseBoundedJson } from '../core/bounded-json';
import { GradscopeFileError } from '../core/errors';
import type { NetworkSpec } from './layers';
import {
  readSafetensorsChecked,
  readSafetensorsHeader,
  type SafetensorsFile,
  type SafetensorsLayout,
} from './safetensors';

export const CHECKPOINT_FORMAT = 'gradscope-checkpoint-2';
/** Written before the header checksum; read still. */
const CHECKPOINT_FORMAT_1 = 'gradscope-checkpoint-1';

/**
 * What a network checkpoint says of itself.
 *
 * @example
 * ```ts
 * import { checkpointInfo, type CheckpointInfo } from 'gradscope';
 * const info: CheckpointInfo = checkpointInfo(
 *   'runs/thesis-f1/seeds/0/checkpoints/arm-5000/epoch-0030.safetensors',
 * );
 * console.log(info.network.name, info.epoch, info.extra);
 * ```
 */
export interface CheckpointInfo {
  network: NetworkSpec;
  epoch: number;
  step: number;
  /** Free-form facts stored as JSON (data set, seed, config hash, ...). */
  extra: Record<string, unknown>;
}

/** Metadata JSON nests a few levels (a layer list); anything deeper is not ours. */
const MAX_METADATA_DEPTH = 16;

/** One JSON value of a checkpoint's metadata (`fallback` when absent), bounded in nesting. */
export function metadataJson(
  file: string,
  text: string | undefined,
  fallback: string,
  what = 'checkpoint metadata',
): unknown {
  const parsed = parseBoundedJson(text ?? fallback, MAX_METADATA_DEPTH);
  if ('problem' in parsed) throw new GradscopeFileError(file, `${what} ${parsed.problem}`);
  return parsed.value;
}

/** The facts of a network checkpoint, from its metadata. */
export function infoFromMetadata(file: string, metadata: Record<string, string>): CheckpointInfo {
  return {
    network: metadataJson(file, metadata.network, '') as NetworkSpec,
    epoch: Number(metadata.epoch),
    step: Number(metadata.step),
    extra: metadataJson(file, metadata.extra, '{}') as Record<string, unknown>,
  };
}

/** A missing file is "no such checkpoint"; any other problem passes unchanged. */
function asCheckpointError(error: unknown, file: string): unknown {
  if (error instanceof GradscopeFileError && error.message === `${file}: file not found`)
    return new GradscopeFileError(file, 'no such checkpoint');
  return error;
}

/** Refuses a file whose metadata names another format (none at all only when `plain`), and
 * a version 2 file without its checksums. */
function checkFormat(file: string, layout: SafetensorsLayout, plain: boolean): void {
  const { format } = layout.metadata;
  if (plain && format === undefined) return;
  if (format === CHECKPOINT_FORMAT_1) return;
  if (format !== CHECKPOINT_FORMAT)
    throw new GradscopeFileError(
      file,
      `not a gradscope checkpoint (metadata format is ${JSON.stringify(format ?? null)}, expected "${CHECKPOINT_FORMAT}" or "${CHECKPOINT_FORMAT_1}")`,
    );
  if (!layout.sealed || layout.checksums === undefined)
    throw new GradscopeFileError(
      file,
      `damaged: a ${CHECKPOINT_FORMAT} file without its header_sha256 and tensor_sha256 checksums`,
    );
}

/**
 * Reads a checkpoint file whole, once, its checksums verified. `plain`: a safetensors file
 * without gradscope metadata (a PyTorch state_dict) is accepted too. `check` sees the header
 * (format already checked) before any data is read.
 */
export function readCheckpointFile(
  file: string,
  options: { plain?: boolean; check?: (layout: SafetensorsLayout) => void } = {},
): SafetensorsFile {
  try {
    return readSafetensorsChecked(file, (layout) => {
      checkFormat(file, layout, options.plain ?? false);
      options.check?.(layout);
    });
  } catch (error) {
    throw asCheckpointError(error, file);
  }
}

/**
 * What a checkpoint says about itself, from its header alone (no tensor data read; the
 * header's own checksum verified).
 *
 * @example
 * ```ts
 * import { checkpointInfo } from 'gradscope';
 * const { network, epoch } = checkpointInfo(
 *   'runs/thesis-f1/seeds/0/checkpoints/branch.safetensors',
 * );
 * console.log(`process 1 branched at epoch ${epoch} (${network.name})`);
 * ```
 */
export function checkpointInfo(file: string): CheckpointInfo {
  let layout: SafetensorsLayout;
  try {
    layout = readSafetensorsHeader(file);
  } catch (error) {
    throw asCheckpointError(error, file);
  }
  checkFormat(file, layout, false);
  return infoFromMetadata(file, layout.metadata);
}
