/**
 * Per-tensor checksums of a safetensors file: the SHA-256 of each tensor's little-endian
 * bytes. A flipped bit in a checkpoint would otherwise be resumed from silently (or read as
 * a false "diverged"); per tensor, so the error names which tensor is damaged.
 */
import * as crypto from 'crypto';
import type { GradscopeFileError } from '../core/errors';

type Raw = readonly (readonly [name: string, bytes: Uint8Array])[];

/** The checksums as the metadata string the writer stores. */
export function tensorChecksums(tensors: Raw): string {
  return JSON.stringify(Object.fromEntries(tensors.map(([name, bytes]) => [name, sha256(bytes)])));
}

/** Throws (via `fail`) at the first tensor whose bytes do not match its recorded checksum. */
export function checkTensorChecksums(
  tensors: Raw,
  recorded: Record<string, string>,
  fail: (problem: string) => GradscopeFileError,
): void {
  for (const [name, bytes] of tensors) {
    const want = Object.hasOwn(recorded, name) ? recorded[name] : undefined;
    if (want === undefined) throw fail(`tensor "${name}" has no recorded checksum`);
    if (sha256(bytes) !== want)
      throw fail(`tensor "${name}" is damaged: its bytes do not match their recorded SHA-256`);
  }
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}
