/**
 * A state_dict written by torch.save (.pt, .pth) as a checkpoint: told from other files by
 * its first bytes, read by a pickle machine that builds tensors, dicts and tuples only and
 * refuses every other class (src/engine/torch-pickle.ts), so no code runs.
 */
import { GradscopeFileError } from '../core/errors';
import { readAt, withRegularFile } from '../core/regular-file';
import { OverCapError } from '../core/size-caps';
import type { SafetensorsFile, NamedTensor } from './safetensors';
import { readTorchSaveFile } from './torch-pickle';

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
 * A torch.save state_dict, without gradscope metadata. Anything else (a whole pickled model,
 * the legacy format) gets one line saying how to convert it.
 */
export function readTorchSave(file: string): SafetensorsFile {
  let tensors: Map<string, NamedTensor>;
  try {
    tensors = readTorchSaveFile(file);
  } catch (error) {
    // a file too large to read is not one to convert: the cap is the whole message
    if (!(error instanceof GradscopeFileError) || error instanceof OverCapError) throw error;
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
