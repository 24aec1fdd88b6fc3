/**
 * One checksum over every byte a safetensors file's reader relies on: the SHA-256 of the
 * 8-byte length prefix and the whole header (the `__metadata__` strings: epoch, step, the
 * optimiser's step, the phase state, the RNG and layer facts; every tensor's dtype, shape and
 * offsets; the padding), stored in the header itself under `header_sha256`. The header also
 * holds each tensor's SHA-256 (`tensor_sha256`, src/engine/tensor-checksums.ts), and the reader
 * refuses data bytes no tensor owns, so this one value covers the file end to end, and a
 * damaged tensor is still named.
 *
 * The value sits at a fixed place, the first key of the metadata at the very start of the
 * header (`{"__metadata__":{"header_sha256":"<64 hex digits>"`), and is hashed as if absent:
 * the digest is over the prefix and the header with those 64 digits left out. A reader finds
 * it without parsing, and a flipped bit anywhere, these digits included, fails the check.
 */
import * as crypto from 'crypto';
import type { GradscopeFileError } from '../core/errors';

/** The metadata key of the header's own checksum. */
export const HEADER_CHECKSUM = 'header_sha256';

/** Where the digest starts in a sealed header, and the text that must precede it there. */
const SLOT_PREFIX = Buffer.from(`{"__metadata__":{"${HEADER_CHECKSUM}":"`, 'utf8');
const DIGITS = 64;
const PLACEHOLDER = '0'.repeat(DIGITS);

/**
 * The metadata object's JSON text with the checksum's placeholder as its first key, so the
 * header the encoder builds from it starts with the slot; {@link sealHeader} fills it in.
 */
export function metadataWithSlot(metadata: Record<string, string>): string {
  const rest = JSON.stringify(metadata).slice(1, -1);
  return `{${JSON.stringify(HEADER_CHECKSUM)}:${JSON.stringify(PLACEHOLDER)}${rest === '' ? '' : ','}${rest}}`;
}

/** Writes the digest of `prefix` + `header` (the slot left out) into the header's slot. */
export function sealHeader(prefix: Buffer, header: Buffer): void {
  if (!header.subarray(0, SLOT_PREFIX.length).equals(SLOT_PREFIX))
    throw new Error('sealHeader: the header does not start with the checksum slot');
  header.write(digest(prefix, header), SLOT_PREFIX.length, 'latin1');
}

/**
 * Verifies a header that carries the checksum: true when it does and it matches, false when
 * the header does not start with the slot (a file written without it); throws through `fail`
 * when the digits are not a digest or do not match.
 */
export function checkHeaderChecksum(
  prefix: Buffer,
  header: Buffer,
  fail: (problem: string) => GradscopeFileError,
): boolean {
  if (!header.subarray(0, SLOT_PREFIX.length).equals(SLOT_PREFIX)) return false;
  const recorded = header.toString('latin1', SLOT_PREFIX.length, SLOT_PREFIX.length + DIGITS);
  if (!/^[0-9a-f]{64}$/.test(recorded) || header[SLOT_PREFIX.length + DIGITS] !== 0x22)
    throw fail(`damaged: its ${HEADER_CHECKSUM} is not a SHA-256 digest`);
  if (digest(prefix, header) !== recorded)
    throw fail(
      `damaged: its header (metadata, shapes and offsets) does not match its recorded ${HEADER_CHECKSUM}`,
    );
  return true;
}

function digest(prefix: Buffer, header: Buffer): string {
  return crypto
    .createHash('sha256')
    .update(prefix)
    .update(header.subarray(0, SLOT_PREFIX.length))
    .update(header.subarray(SLOT_PREFIX.length + DIGITS))
    .digest('hex');
}
