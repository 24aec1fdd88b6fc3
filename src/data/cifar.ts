/**
 * Reads the binary versions of CIFAR-10 and CIFAR-100 (the "-binary" downloads).
 * CIFAR-10 record: 1 label byte + 3072 pixel bytes; CIFAR-100 record: coarse label byte +
 * fine label byte + 3072 pixel bytes. The pixels are already channel-planar (1024 R, then G,
 * then B, each 32x32 row-major), so they are copied as they stand.
 */
import { GradscopeFileError } from '../core/errors';
import { readDataFile } from './data-file';
import { checkLabels, ExampleSet } from './source';

export type CifarKind = 'cifar10' | 'cifar100';
export type Cifar100Labels = 'fine' | 'coarse';

export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR10_TEST_FILES = ['test_batch.bin'];
export const CIFAR100_TRAIN_FILES = ['train.bin'];
export const CIFAR100_TEST_FILES = ['test.bin'];

const PIXEL_BYTES = 3 * 32 * 32;
/** Records in the largest published file (CIFAR-10 batches 10 000, CIFAR-100 train 50 000):
 * the bound on what one file may hold, so a gzip bomb is inflated no further. */
const MAX_RECORDS: Record<CifarKind, number> = { cifar10: 10000, cifar100: 50000 };

export function cifarClasses(kind: CifarKind, labels: Cifar100Labels = 'fine'): number {
  return kind === 'cifar10' ? 10 : labels === 'fine' ? 100 : 20;
}

/** Concatenates the records of `files`, in order, into one ExampleSet. */
export function readCifarFiles(
  files: readonly string[],
  kind: CifarKind,
  labelKind: Cifar100Labels = 'fine',
): ExampleSet {
  const labelBytes = kind === 'cifar10' ? 1 : 2;
  const recordBytes = labelBytes + PIXEL_BYTES;
  const name = kind === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100';
  const most = MAX_RECORDS[kind];
  const contents = files.map((file) => {
    const bytes = readDataFile(file, {
      prefixBytes: 0,
      limit: () => most * recordBytes,
      tooLong: (found) =>
        `holds more than ${most} records of ${recordBytes} bytes, more than any ${name} file (${found} bytes)`,
    });
    if (bytes.length === 0 || bytes.length % recordBytes !== 0) {
      throw new GradscopeFileError(
        file,
        `holds ${bytes.length} bytes, not a non-zero multiple of the ${recordBytes}-byte ${name} record (truncated or not ${name})`,
      );
    }
    return bytes;
  });
  const count = contents.reduce((sum, bytes) => sum + bytes.length / recordBytes, 0);
  const pixels = new Uint8Array(count * PIXEL_BYTES);
  const labels = new Int32Array(count);
  let n = 0;
  contents.forEach((bytes, f) => {
    const records = bytes.length / recordBytes;
    const coarse = new Uint8Array(records);
    const fine = new Uint8Array(records);
    for (let r = 0; r < records; r++, n++) {
      const at = r * recordBytes;
      if (kind === 'cifar10') {
        fine[r] = bytes[at]!;
      } else {
        coarse[r] = bytes[at]!;
        fine[r] = bytes[at + 1]!;
      }
      pixels.set(bytes.subarray(at + labelBytes, at + recordBytes), n * PIXEL_BYTES);
    }
    // Both label kinds are checked: either out of range means the file is not CIFAR.
    checkLabels(fine, cifarClasses(kind, 'fine'), files[f]!);
    if (kind === 'cifar100') checkLabels(coarse, cifarClasses(kind, 'coarse'), files[f]!);
    labels.set(kind === 'cifar100' && labelKind === 'coarse' ? coarse : fine, n - records);
  });
  return { pixels, labels, count, shape: [3, 32, 32] };
}
