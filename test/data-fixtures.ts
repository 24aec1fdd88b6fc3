/**
 * Writers for small dataset files in each exact on-disk format, for the data-layer tests:
 * IDX (MNIST, Fashion-MNIST), CIFAR-10 and CIFAR-100 binary. Written here independently of
 * the readers, byte by byte from the format descriptions.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { GradscopeFileError } from '../src/core/errors';

const made: string[] = [];
process.on('exit', () => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A fresh folder under the system temp folder, removed when the process exits. */
export function tempDir(name = 'gradscope-data-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), name));
  made.push(dir);
  return dir;
}

/** Deterministic bytes (an LCG), so a mismatch points at a position, not at chance. */
export function bytePattern(length: number, salt: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = salt >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export function idxBytes(dims: number[], data: Uint8Array, magic = 0x0800 + dims.length): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

export function writeFile(file: string, bytes: Uint8Array, gzip = false): string {
  fs.writeFileSync(gzip ? `${file}.gz` : file, gzip ? zlib.gzipSync(bytes) : bytes);
  return gzip ? `${file}.gz` : file;
}

export interface IdxSplit {
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** A split of `count` 28x28 images with labels i % 10. */
export function idxSplit(count: number, salt: number, rows = 28, cols = 28): IdxSplit {
  const labels = Uint8Array.from({ length: count }, (_, i) => (i * 7 + salt) % 10);
  return { pixels: bytePattern(count * rows * cols, salt), labels };
}

/** The four MNIST files in `dir`; returns the splits written. */
export function writeIdxFolder(
  dir: string,
  gzip = false,
  counts: [number, number] = [5, 3],
): { train: IdxSplit; test: IdxSplit } {
  const train = idxSplit(counts[0], 1);
  const test = idxSplit(counts[1], 2);
  writeFile(
    path.join(dir, 'train-images-idx3-ubyte'),
    idxBytes([counts[0], 28, 28], train.pixels),
    gzip,
  );
  writeFile(path.join(dir, 'train-labels-idx1-ubyte'), idxBytes([counts[0]], train.labels), gzip);
  writeFile(
    path.join(dir, 't10k-images-idx3-ubyte'),
    idxBytes([counts[1], 28, 28], test.pixels),
    gzip,
  );
  writeFile(path.join(dir, 't10k-labels-idx1-ubyte'), idxBytes([counts[1]], test.labels), gzip);
  return { train, test };
}

export interface CifarRecords {
  /** count * 3072 pixel bytes as they lie in the file (R plane, G plane, B plane). */
  pixels: Uint8Array;
  fine: Uint8Array;
  coarse: Uint8Array;
}

export function cifarRecords(count: number, salt: number, classes = 10): CifarRecords {
  return {
    pixels: bytePattern(count * 3072, salt),
    fine: Uint8Array.from({ length: count }, (_, i) => (i * 3 + salt) % classes),
    coarse: Uint8Array.from({ length: count }, (_, i) => (i * 5 + salt) % 20),
  };
}

/** One record after another: [coarse] label, pixels (CIFAR-100 has the coarse byte). */
export function cifarBytes(records: CifarRecords, cifar100: boolean): Buffer {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < records.fine.length; i++) {
    if (cifar100) parts.push(Uint8Array.of(records.coarse[i]!));
    parts.push(Uint8Array.of(records.fine[i]!));
    parts.push(records.pixels.subarray(i * 3072, (i + 1) * 3072));
  }
  return Buffer.concat(parts);
}

/** data_batch_1..5.bin with 1..5 records and test_batch.bin with 2. */
export function writeCifar10Folder(dir: string): { train: CifarRecords[]; test: CifarRecords } {
  const train = [1, 2, 3, 4, 5].map((i) => cifarRecords(i, i));
  train.forEach((r, i) =>
    fs.writeFileSync(path.join(dir, `data_batch_${i + 1}.bin`), cifarBytes(r, false)),
  );
  const test = cifarRecords(2, 9);
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarBytes(test, false));
  return { train, test };
}

export function writeCifar100Folder(dir: string): { train: CifarRecords; test: CifarRecords } {
  const train = cifarRecords(4, 3, 100);
  const test = cifarRecords(3, 77, 100);
  fs.writeFileSync(path.join(dir, 'train.bin'), cifarBytes(train, true));
  fs.writeFileSync(path.join(dir, 'test.bin'), cifarBytes(test, true));
  return { train, test };
}

/** Asserts `fn` throws a GradscopeFileError whose one-line message names `file` and matches. */
export function assertFileError(fn: () => unknown, file: string, problem: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof GradscopeFileError, `expected a GradscopeFileError, got ${error}`);
    assert.ok(error.message.includes(file), `"${error.message}" should name ${file}`);
    assert.match(error.message, problem);
    assert.ok(!error.message.includes('\n'), `"${error.message}" should be one line`);
    return true;
  });
}
