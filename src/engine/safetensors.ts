/**
 * A dependency-free reader and writer of safetensors, the checkpoint format a PyTorch user
 * loads with `safetensors.torch.load_file` (docs/design.md, "Files a user sees").
 *
 * Layout: a little-endian u64 N; N bytes of UTF-8 JSON mapping each tensor name to
 * {dtype, shape, data_offsets: [begin, end]}, plus an optional "__metadata__" of
 * string -> string, padded with spaces so the data starts 8-byte aligned; then the data
 * section, each tensor little-endian and row-major, back to back with no gaps.
 *
 * The reader checks every one of those facts, so a damaged checkpoint fails with one line
 * naming the file instead of loading garbage. It copies each tensor into a fresh typed array:
 * a tensor at an offset that is not a multiple of its element size cannot be viewed in place.
 */
import * as fs from 'fs';
import * as os from 'os';
import { TextDecoder } from 'util';
import { writeFileAtomic } from './atomic-write';
import { describeValue, expected, GradscopeFileError, isNonNegativeInteger } from './errors';

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface NamedTensor {
  name: string;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>;
  /** Tensor names in the order of their data in the file (the order they were written). */
  order: string[];
  metadata: Record<string, string>;
}

type Dtype = 'F64' | 'F32' | 'I64' | 'I32' | 'U8';

const DTYPES: Record<Dtype, { size: number; make: (length: number) => TensorData }> = {
  F64: { size: 8, make: (length) => new Float64Array(length) },
  F32: { size: 4, make: (length) => new Float32Array(length) },
  I64: { size: 8, make: (length) => new BigInt64Array(length) },
  I32: { size: 4, make: (length) => new Int32Array(length) },
  U8: { size: 1, make: (length) => new Uint8Array(length) },
};

const METADATA = '__metadata__';
const HOST_IS_BIG_ENDIAN = os.endianness() === 'BE';

export function encodeSafetensors(
  tensors: NamedTensor[],
  metadata?: Record<string, string>,
): Buffer {
  const entries: string[] = [];
  if (metadata !== undefined && Object.keys(checkMetadata(metadata)).length > 0) {
    entries.push(`${JSON.stringify(METADATA)}:${JSON.stringify(metadata)}`);
  }
  const names = new Set<string>();
  const chunks: Buffer[] = [];
  let offset = 0;
  tensors.forEach((tensor, index) => {
    const dtype = checkTensor(tensor, index, names);
    const bytes = littleEndian(tensor.data, DTYPES[dtype].size);
    const entry = {
      dtype,
      shape: [...tensor.shape],
      data_offsets: [offset, offset + bytes.length],
    };
    entries.push(`${JSON.stringify(tensor.name)}:${JSON.stringify(entry)}`);
    chunks.push(bytes);
    offset += bytes.length;
  });
  const json = Buffer.from(`{${entries.join(',')}}`, 'utf8');
  const header = Buffer.alloc(Math.ceil(json.length / 8) * 8, ' ');
  json.copy(header);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header, ...chunks]);
}

export function writeSafetensors(
  file: string,
  tensors: NamedTensor[],
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

export function readSafetensors(file: string): SafetensorsFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GradscopeFileError(file, 'file not found');
    if (code === 'EISDIR') throw new GradscopeFileError(file, 'is a directory, not a file');
    throw new GradscopeFileError(file, `cannot read: ${(error as Error).message}`);
  }
  return decodeSafetensors(bytes, file);
}

export function decodeSafetensors(bytes: Buffer, file: string): SafetensorsFile {
  const fail = (problem: string) => new GradscopeFileError(file, problem);
  if (bytes.length < 8) {
    throw fail(`not a safetensors file: ${bytes.length} bytes, shorter than the 8-byte prefix`);
  }
  const headerLength = bytes.readBigUInt64LE(0);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw fail(`truncated: header says ${headerLength} bytes but only ${bytes.length - 8} follow`);
  }
  const dataStart = 8 + Number(headerLength);
  const dataLength = bytes.length - dataStart;
  const header = parseHeader(bytes.subarray(8, dataStart), fail);
  const metadata = parseMetadata(header[METADATA], fail);
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA)
    .map(([name, value]) => parseEntry(name, value, dataLength, fail))
    .sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const { name, begin, end } of entries) {
    if (begin > covered) {
      throw fail(`gap: data bytes ${covered}..${begin} belong to no tensor (before "${name}")`);
    }
    if (begin < covered) {
      throw fail(`overlap: tensor "${name}" starts at data byte ${begin}, before ${covered}`);
    }
    covered = end;
  }
  if (covered !== dataLength) {
    throw fail(`data section holds ${dataLength} bytes but its tensors cover only ${covered}`);
  }
  const tensors = new Map<string, NamedTensor>();
  for (const { name, dtype, shape, begin, end } of entries) {
    const data = copyFromLittleEndian(bytes.subarray(dataStart + begin, dataStart + end), dtype);
    tensors.set(name, { name, shape, data });
  }
  return { tensors, order: entries.map((entry) => entry.name), metadata };
}

interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

type Fail = (problem: string) => GradscopeFileError;

function parseHeader(raw: Buffer, fail: Fail): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    throw fail('not a safetensors file: header is not valid UTF-8 JSON');
  }
  if (!isObject(header)) throw fail('not a safetensors file: header is not a JSON object');
  return header;
}

function parseMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw fail(`bad ${METADATA}: expected an object of strings, found ${describeValue(value)}`);
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function parseEntry(name: string, value: unknown, dataLength: number, fail: Fail): Entry {
  const tensor = `tensor ${JSON.stringify(name)}`;
  if (!isObject(value)) throw fail(`bad entry for ${tensor}: ${describeValue(value)}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPES, dtype)) {
    const known = Object.keys(DTYPES).join(', ');
    throw fail(`unsupported dtype ${describeValue(dtype)} for ${tensor} (reads ${known})`);
  }
  const count = elementCount(shape);
  if (count === undefined) {
    throw fail(`bad shape ${describeValue(shape)} for ${tensor}: not a list of sizes >= 0`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => isNonNegativeInteger(o) && Number.isSafeInteger(o)) ||
    offsets[0] > offsets[1]
  ) {
    throw fail(`bad data_offsets ${describeValue(offsets)} for ${tensor}`);
  }
  const [begin, end] = offsets as [number, number];
  const size = count * DTYPES[dtype as Dtype].size;
  if (end - begin !== size) {
    throw fail(
      `${tensor} has data_offsets of ${end - begin} bytes but shape ` +
        `${JSON.stringify(shape)} of ${dtype} needs ${size}`,
    );
  }
  if (end > dataLength) {
    throw fail(`truncated: ${tensor} ends at data byte ${end} but the data has ${dataLength}`);
  }
  return { name, dtype: dtype as Dtype, shape: [...(shape as number[])], begin, end };
}

/** Element count of a shape ([] is a scalar: one element), or undefined if not a shape. */
function elementCount(shape: unknown): number | undefined {
  if (!Array.isArray(shape)) return undefined;
  let count = 1;
  for (const size of shape) {
    if (!isNonNegativeInteger(size)) return undefined;
    count *= size;
  }
  return Number.isSafeInteger(count) ? count : undefined;
}

function checkMetadata(metadata: Record<string, string>): Record<string, string> {
  if (!isObject(metadata)) throw expected('an object of strings', 'metadata', metadata);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw expected('a string', `metadata[${key}]`, value);
  }
  return metadata;
}

function checkTensor(tensor: NamedTensor, index: number, names: Set<string>): Dtype {
  const { name, shape, data } = tensor;
  if (typeof name !== 'string' || name === '' || name === METADATA || names.has(name)) {
    throw expected('a new name, not "" or "__metadata__"', `tensors[${index}].name`, name);
  }
  names.add(name);
  const dtype = dtypeOf(data);
  if (dtype === undefined) {
    const kinds = 'a Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array';
    throw expected(kinds, `the data of tensor ${JSON.stringify(name)}`, data);
  }
  const count = elementCount(shape);
  if (count === undefined) {
    throw expected('a list of sizes >= 0', `the shape of tensor ${JSON.stringify(name)}`, shape);
  }
  if (count !== data.length) {
    const what = `${count} elements for shape ${JSON.stringify(shape)}`;
    throw expected(what, `the data of tensor ${JSON.stringify(name)}`, data);
  }
  return dtype;
}

function dtypeOf(data: unknown): Dtype | undefined {
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint8Array) return 'U8';
  return undefined;
}

function littleEndian(data: TensorData, size: number): Buffer {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return HOST_IS_BIG_ENDIAN ? swapBytes(Buffer.from(bytes), size) : bytes;
}

function copyFromLittleEndian(raw: Buffer, dtype: Dtype): TensorData {
  const { size, make } = DTYPES[dtype];
  const data = make(raw.length / size);
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  raw.copy(bytes);
  if (HOST_IS_BIG_ENDIAN) swapBytes(bytes, size);
  return data;
}

function swapBytes(bytes: Buffer, size: number): Buffer {
  if (size === 4) bytes.swap32();
  if (size === 8) bytes.swap64();
  return bytes;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
