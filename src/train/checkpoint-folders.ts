/**
 * A run's checkpoint folders: the phase folders of seeds/S/checkpoints (process1, the arms)
 * and the epoch checkpoints (epoch-NNNN.safetensors) of one phase.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GradscopeInputError } from '../core/errors';

/**
 * A run's folder of phase folders (seeds/S/checkpoints) stands for its phases: process1 first,
 * then the arms by increasing B, then any others by name. Any other folder stands for itself.
 */
export function phaseFolders(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [dir];
  const entries = fs.readdirSync(dir);
  if (entries.some((n) => /^epoch-\d+\.safetensors$/.test(n))) return [dir];
  const phases = entries.filter((n) => fs.statSync(path.join(dir, n)).isDirectory());
  const rank = (n: string): [number, number, string] =>
    n === 'process1' ? [0, 0, n] : /^arm-\d+$/.test(n) ? [1, Number(n.slice(4)), n] : [2, 0, n];
  phases.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2].localeCompare(y[2]);
  });
  return phases.length ? phases.map((n) => path.join(dir, n)) : [dir];
}

/** The epoch checkpoints of a folder, in epoch order. */
export function epochCheckpoints(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new GradscopeInputError(`${dir}: no such checkpoint folder`);
  const files = fs
    .readdirSync(dir)
    .filter((n) => /^epoch-\d+\.safetensors$/.test(n))
    .sort()
    .map((n) => path.join(dir, n));
  if (files.length === 0)
    throw new GradscopeInputError(`${dir}: no epoch-NNNN.safetensors checkpoints in this folder`);
  return files;
}
