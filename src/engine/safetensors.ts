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
 * It reads a file in the order of trust: the 8-byte prefix, then the header (bounded in size
 * and nesting), whose declared sizes must match the file's, and only then the data, so a
 * hostile file costs no more memory than its own honest size.
 *
 * A writer may ask for checksums: the SHA-256 of each tensor's bytes, kept in the string
 * metadata (so safetensors.torch.load_file still reads the file) under "tensor_sha256", and
 * one SHA-256 over the length prefix and the whole header, those per-tensor checksums
 * included, under "header_sha256" (src/engine/header-checksum.ts): together every byte of the
 * file. The reader verifies them when present and names the file (and the tensor) that does
 * not match; `sealed` in the layout says the header's checksum was there and matched. Files
 * without them (written before, or by others) load as before; a format that requires them
 * (a gradscope checkpoint) checks `sealed`.
 */
import * as os from 'os';
import { TextDecoder } from 'util';
import { writeFileAtomic } from '../core/atomic-write';
import { parseBoundedJson } from '../core/bounded-json';
import { describeValue, expected, GradscopeFileError, isNonNegativeInteger } from '../core/errors';
import { readAt, withRegularFile, type RegularFile } from '../core/regular-file';
import {
  checkHeaderChecksum,
  HEADER_CHECKSUM,
  metadataWithSlot,
  sealHeader,
} from './header-checksum';
import { checkTensorChecksums, tensorChecksums } from './tensor-checksums';

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
/** The metadata key of the per-tensor checksums (JSON: tensor name -> SHA-256 hex). */
export const CHECKSUMS = 'tensor_sha256';
/** Far above any real header (a checkpoint's is a few KB), far below a memory problem. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
/** A valid header nests 3 deep ({"name": {"shape": [...]}}); a little slack for others. */
const MAX_HEADER_DEPTH = 8;

export interface EncodeOptions {
  /** Record the SHA-256 of each tensor's bytes in the metadata (checked on every read). */
  checksums?: boolean;
}
/** Metadata keys the reader keeps for itself (and removes from what it returns). */
const READER_KEYS = [CHECKSUMS, HEADER_CHECKSUM];
const HOST_IS_BIG_ENDIAN = os.endianness() === 'BE';

export function encodeSafetensors(
  tensors: NamedTensor[],
  metadata?: Record<string, string>,
  options: EncodeOptions = {},
): Buffer {
  const entries: string[] = [];
  if (metadata !== undefined) checkMetadata(metadata);
  for (const key of READER_KEYS)
    if (metadata !== undefined && Object.hasOwn(metadata, key))
      throw expected(`no key "${key}" (the reader's own)`, 'metadata', metadata);
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
  if (options.checksums) {
    const sums = tensorChecksums(tensors.map((t, i) => [t.name, chunks[i]!]));
    entries.unshift(
      `${JSON.stringify(METADATA)}:${metadataWithSlot({ ...metadata, [CHECKSUMS]: sums })}`,
    );
  } else if (metadata !== undefined && Object.keys(metadata).length > 0) {
    entries.unshift(`${JSON.stringify(METADATA)}:${JSON.stringify(metadata)}`);
  }
  const json = Buffer.from(`{${entries.join(',')}}`, 'utf8');
  const header = Buffer.alloc(Math.ceil(json.length / 8) * 8, ' ');
  json.copy(header);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  if (options.checksums) sealHeader(length, header);
  return Buffer.concat([length, header, ...chunks]);
}

export function writeSafetensors(
  file: string,
  tensors: NamedTensor[],
  metadata?: Record<string, string>,
  options: EncodeOptions = {},
): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata, options));
}

/** Reads `file` prefix first, header next, data last (see the header comment). */
export function readSafetensors(file: string): SafetensorsFile {
  return readSafetensorsChecked(file, () => {});
}

/**
 * Reads `file` once, as {@link readSafetensors} does, and hands its header to `check` before
 * any data is read: a header the caller refuses (it throws) costs no data read.
 */
export function readSafetensorsChecked(
  file: string,
  check: (layout: SafetensorsLayout) => void,
): SafetensorsFile {
  return withRegularFile(file, (opened) => {
    const { layout, dataStart, fail } = readLayout(opened);
    check(layout);
    const data = readAt(opened, dataStart, opened.size - dataStart);
    return extractTensors(layout, data, fail);
  });
}

/** What a file's header says, without its data: tensor names, dtypes, shapes, metadata. */
export function readSafetensorsHeader(file: string): SafetensorsLayout {
  return withRegularFile(file, (opened) => readLayout(opened).layout);
}

function readLayout(opened: RegularFile): {
  layout: SafetensorsLayout;
  dataStart: number;
  fail: Fail;
} {
  const fail = (problem: string) => new GradscopeFileError(opened.file, problem);
  const prefix = readAt(opened, 0, Math.min(8, opened.size));
  const headerLength = checkPrefix(prefix, opened.size, fail);
  const dataStart = 8 + headerLength;
  const header = readAt(opened, 8, headerLength);
  const layout = parseLayout(prefix, header, opened.size - dataStart, fail);
  return { layout, dataStart, fail };
}

export function decodeSafetensors(bytes: Buffer, file: string): SafetensorsFile {
  const fail = (problem: string) => new GradscopeFileError(file, problem);
  const headerLength = checkPrefix(bytes.subarray(0, 8), bytes.length, fail);
  const dataStart = 8 + headerLength;
  const prefix = bytes.subarray(0, 8);
  const layout = parseLayout(prefix, bytes.subarray(8, dataStart), bytes.length - dataStart, fail);
  return extractTensors(layout, bytes.subarray(dataStart), fail);
}

/** The header length the 8-byte prefix gives, checked against the file's `size`. */
function checkPrefix(prefix: Buffer, size: number, fail: Fail): number {
  if (size < 8) {
    throw fail(`not a safetensors file: ${size} bytes, shorter than the 8-byte prefix`);
  }
  const headerLength = prefix.readBigUInt64LE(0);
  if (headerLength > BigInt(size - 8)) {
    throw fail(`truncated: header says ${headerLength} bytes but only ${size - 8} follow`);
  }
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw fail(
      `not a safetensors file: header of ${headerLength} bytes, over the ${MAX_HEADER_BYTES / 2 ** 20} MB limit`,
    );
  }
  return Number(headerLength);
}

export interface SafetensorsLayout {
  entries: Entry[];
  metadata: Record<string, string>;
  /** Tensor name -> SHA-256 hex, when the writer recorded them. */
  checksums: Record<string, string> | undefined;
  /** The header carried its own checksum (`header_sha256`) and it matched. */
  sealed: boolean;
}

/** Parses and checks a header (its own checksum first, when it has one) against the length
 * of the data section that follows it. */
function parseLayout(
  prefix: Buffer,
  raw: Buffer,
  dataLength: number,
  fail: Fail,
): SafetensorsLayout {
  const sealed = checkHeaderChecksum(prefix, raw, fail);
  const header = parseHeader(raw, fail);
  const {
    [CHECKSUMS]: checksumText,
    [HEADER_CHECKSUM]: seal,
    ...metadata
  } = parseMetadata(header[METADATA], fail);
  if (seal !== undefined && !sealed)
    throw fail(`damaged: its ${HEADER_CHECKSUM} is not at the start of the header`);
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
  const checksums = checksumText === undefined ? undefined : parseChecksums(checksumText, fail);
  return { entries, metadata, checksums, sealed };
}

function parseChecksums(text: string, fail: Fail): Record<string, string> {
  const parsed = parseBoundedJson(text, 1);
  const value = 'value' in parsed ? parsed.value : undefined;
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string'))
    throw fail(`bad ${METADATA}.${CHECKSUMS}: expected a JSON object of tensor checksums`);
  return value as Record<string, string>;
}

/** Copies each tensor out of the data section, after checking its checksum if recorded. */
function extractTensors(layout: SafetensorsLayout, data: Buffer, fail: Fail): SafetensorsFile {
  const { entries, metadata, checksums } = layout;
  const raw = entries.map(({ name, begin, end }) => [name, data.subarray(begin, end)] as const);
  if (checksums !== undefined) checkTensorChecksums(raw, checksums, fail);
  const tensors = new Map<string, NamedTensor>();
  entries.forEach(({ name, dtype, shape }, i) => {
    tensors.set(name, { name, shape, data: copyFromLittleEndian(raw[i]![1], dtype) });
  });
  return { tensors, order: entries.map((entry) => entry.name), metadata };
}

export interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

type Fail = (problem: string) => GradscopeFileError;

function parseHeader(raw: Buffer, fail: Fail): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw fail('not a safetensors file: header is not valid UTF-8 JSON');
  }
  const parsed = parseBoundedJson(text, MAX_HEADER_DEPTH);
  if ('problem' in parsed)
    throw fail(
      parsed.problem === 'is not valid JSON'
        ? 'not a safetensors file: header is not valid UTF-8 JSON'
        : `not a safetensors file: header ${parsed.problem}`,
    );
  const header = parsed.value;
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
