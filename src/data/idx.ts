/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST, plain or gzipped.
 * Header: 2 zero bytes, a type byte (0x08 = unsigned byte), a byte giving the number of
 * dimensions, then each dimension as a big-endian uint32; the data follow, row-major.
 * Images are 0x00000803 (n, rows, cols), labels 0x00000801 (n). Only unsigned bytes are
 * accepted: that is what both datasets ship, and the engine takes raw bytes.
 * The header bounds the read: what it declares is checked against the inflation cap
 * (src/core/size-caps.ts) and, for a plain file, against the file's size, before the data are
 * read; no more than it declares is ever read or inflated.
 */
import { GradscopeFileError } from '../core/errors';
import { checkUnpackedSize } from '../core/size-caps';
import { readDataFile } from './data-file';
import { checkCounts, checkLabels, ExampleSet } from './source';

const IDX_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

export interface IdxArray {
  dims: number[];
  /** A view of product(dims) bytes, row-major. */
  data: Uint8Array;
}

export function readIdx(file: string, expectedDims: number): IdxArray {
  // Read (or inflate) no further than the header declares, plus one byte to notice more.
  const bytes = readDataFile(file, {
    prefixBytes: 4 + 4 * expectedDims,
    limit: (prefix) => {
      const { dims, headerBytes, dataBytes } = idxHeader(prefix, file, expectedDims);
      checkUnpackedSize(
        file,
        `its header (${dims.join(' x ')} bytes of data)`,
        headerBytes + dataBytes,
      );
      return headerBytes + dataBytes + 1;
    },
    tooLong: (found) => `longer than its header says: ${found} bytes`,
    checkSize: (prefix, size) => {
      const header = idxHeader(prefix, file, expectedDims);
      checkDataBytes(file, header, size - header.headerBytes);
    },
  });
  const header = idxHeader(bytes, file, expectedDims);
  checkDataBytes(file, header, bytes.length - header.headerBytes);
  return { dims: header.dims, data: bytes.subarray(header.headerBytes) };
}

/** Throws unless the file holds exactly the data bytes its header declares. */
function checkDataBytes(
  file: string,
  { dims, dataBytes }: { dims: number[]; dataBytes: number },
  found: number,
): void {
  if (found === dataBytes) return;
  const problem = found < dataBytes ? 'truncated' : 'longer than its header says';
  throw new GradscopeFileError(
    file,
    `${problem}: header gives ${dims.join('x')} = ${dataBytes} data bytes but the file holds ${Math.max(found, 0)}`,
  );
}

/** The header at the start of `bytes` (all of them, or a prefix), checked. */
function idxHeader(
  bytes: Uint8Array,
  file: string,
  expectedDims: number,
): { dims: number[]; headerBytes: number; dataBytes: number } {
  if (bytes.length < 4) throw new GradscopeFileError(file, `truncated: only ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const magic = view.getUint32(0);
  const type = bytes[2]!;
  const ndims = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || IDX_TYPES[type] === undefined) {
    throw new GradscopeFileError(file, `not an IDX file (magic number ${hex(magic)})`);
  }
  if (type !== 0x08) {
    throw new GradscopeFileError(
      file,
      `holds ${IDX_TYPES[type]} values (magic number ${hex(magic)}), expected unsigned bytes`,
    );
  }
  if (ndims !== expectedDims) {
    const wanted = hex(0x0800 + expectedDims);
    throw new GradscopeFileError(
      file,
      `has ${ndims} dimensions (magic number ${hex(magic)}), expected ${expectedDims} (${wanted})`,
    );
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new GradscopeFileError(file, `truncated: the header alone needs ${headerBytes} bytes`);
  }
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d));
  return { dims, headerBytes, dataBytes: dims.reduce((a, b) => a * b, 1) };
}

/** One image file and its label file as an ExampleSet of 1-channel images. */
export function readIdxPair(imagesFile: string, labelsFile: string, classes: number): ExampleSet {
  const images = readIdx(imagesFile, 3);
  const labelBytes = readIdx(labelsFile, 1);
  const [count, rows, cols] = images.dims as [number, number, number];
  checkCounts(imagesFile, count, labelsFile, labelBytes.dims[0]!);
  checkLabels(labelBytes.data, classes, labelsFile);
  return {
    pixels: images.data,
    labels: Int32Array.from(labelBytes.data),
    count,
    shape: [1, rows, cols],
  };
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
