/**
 * A run's checkpoint files: the phase folders of seeds/S/checkpoints (process1, the arms),
 * the epoch checkpoints (epoch-NNNN.safetensors) of one phase, and the training-state file
 * (NAME.train.safetensors) beside each network file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GradscopeInputError } from '../core/errors';

/** An epoch checkpoint's name: epoch-NNNN.safetensors. */
const EPOCH_FILE = /^epoch-\d+\.safetensors$/;

/** The network file of a phase's checkpoint at `epoch`: DIR/epoch-NNNN.safetensors. */
export function checkpointName(dir: string, epoch: number): string {
  return path.join(dir, `epoch-${String(epoch).padStart(4, '0')}.safetensors`);
}

/** The epoch an epoch checkpoint's file name gives. */
export function epochOf(file: string): number {
  return Number(/epoch-(\d+)/.exec(path.basename(file))![1]);
}

/** The training-state file beside a network file: NAME.train.safetensors. */
export function trainingStateFile(file: string): string {
  return file.replace(/\.safetensors$/, '') + '.train.safetensors';
}

/** The epoch checkpoints of a phase folder, in epoch order ([] when there is no folder). */
export function epochFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => EPOCH_FILE.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

/**
 * A run's folder of phase folders (seeds/S/checkpoints) stands for its phases: process1 first,
 * then the arms by increasing B, then any others by name. Any other folder stands for itself.
 */
export function phaseFolders(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [dir];
  const entries = fs.readdirSync(dir);
  if (entries.some((n) => EPOCH_FILE.test(n))) return [dir];
  const phases = entries.filter((n) => fs.statSync(path.join(dir, n)).isDirectory());
  const rank = (n: string): [number, number, string] =>
    n === 'process1' ? [0, 0, n] : /^arm-\d+$/.test(n) ? [1, Number(n.slice(4)), n] : [2, 0, n];
  phases.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2].localeCompare(y[2]);
  });
  return phases.length ? phases.map((n) => path.join(dir, n)) : [dir];
}

/** The epoch checkpoints of a folder, in epoch order; none is one clear line. */
export function epochCheckpoints(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new GradscopeInputError(`${dir}: no such checkpoint folder`);
  const files = epochFiles(dir);
  if (files.length === 0)
    throw new GradscopeInputError(`${dir}: no epoch-NNNN.safetensors checkpoints in this folder`);
  return files;
}

/** Whether a phase folder holds any epoch checkpoint (the phase has left a state). */
export function holdsEpochCheckpoint(dir: string): boolean {
  return epochFiles(dir).length > 0;
}
