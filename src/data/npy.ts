/**
 * NumPy's .npy format, bounded: the magic "\x93NUMPY", a version, a header length, a Python
 * dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, ...)} and the raw array.
 * The declared shape and type must account for the data exactly before it is touched.
 * Little-endian numbers only (what numpy writes on every common machine). What the array is
 * converted to (float32 or int32 four bytes an element: an int8 label array grows four-fold)
 * is checked against the cap (src/core/size-caps.ts) before it is allocated.
 */
import { GradscopeFileError } from '../core/errors';
import { checkUnpackedSize } from '../core/size-caps';

export type NpyData = Uint8Array | Float32Array | Int32Array;

export interface NpyArray {
  shape: number[];
  /** 'uint8' | 'float32' | an integer type read into Int32Array (labels) */
  dtype: 'uint8' | 'float32' | 'int';
  data: NpyData;
}

const INTEGER: Record<string, number> = {
  '|u1': 1,
  '|i1': 1,
  '<u2': 2,
  '<i2': 2,
  '<i4': 4,
  '<u4': 4,
  '<i8': 8,
  '<u8': 8,
};

/** Parses one .npy image held in `bytes`; `name` names it in errors (file or file:entry). */
export function parseNpy(bytes: Buffer, file: string, name: string): NpyArray {
  const fail = (problem: string) => new GradscopeFileError(file, `${name}: ${problem}`);
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== '\x93NUMPY')
    throw fail('not a .npy array (no \\x93NUMPY magic)');
  const major = bytes[6]!;
  const lengthSize = major === 1 ? 2 : 4;
  if (major < 1 || major > 3) throw fail(`.npy version ${major} is not known`);
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const dataStart = 8 + lengthSize + headerLength;
  if (dataStart > bytes.length) throw fail('truncated header');
  const header = bytes.toString('latin1', 8 + lengthSize, dataStart);
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw fail(`unreadable header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw fail('is in Fortran order; save it with np.ascontiguousarray');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw fail(`bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const itemSize = descr === '<f4' ? 4 : descr === '<f8' ? 8 : INTEGER[descr];
  if (itemSize === undefined)
    throw fail(
      `dtype ${descr} is not supported (expected uint8 or float32 images, integer labels)`,
    );
  const raw = bytes.subarray(dataStart);
  if (raw.length !== count * itemSize)
    throw fail(
      `holds ${raw.length} data bytes but shape (${shape.join(', ')}) of ${descr} needs ${count * itemSize}`,
    );
  // a view of the bytes read or inflated for this array alone: no second copy
  if (descr === '|u1')
    return { shape, dtype: 'uint8', data: new Uint8Array(raw.buffer, raw.byteOffset, count) };
  checkUnpackedSize(
    file,
    `${name}: shape (${shape.join(', ')}) of ${descr} read as 4-byte numbers`,
    count * 4,
  );
  if (descr === '<f4' || descr === '<f8') {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const v = descr === '<f4' ? raw.readFloatLE(4 * i) : raw.readDoubleLE(8 * i);
      if (!Number.isFinite(v)) throw fail(`value ${v} at flat index ${i} is not finite`);
      out[i] = v;
    }
    return { shape, dtype: 'float32', data: out };
  }
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let v: number;
    switch (descr) {
      case '|u1':
        v = raw[i]!;
        break;
      case '|i1':
        v = raw.readInt8(i);
        break;
      case '<u2':
        v = raw.readUInt16LE(2 * i);
        break;
      case '<i2':
        v = raw.readInt16LE(2 * i);
        break;
      case '<u4':
        v = raw.readUInt32LE(4 * i);
        break;
      case '<i4':
        v = raw.readInt32LE(4 * i);
        break;
      case '<u8':
        v = Number(raw.readBigUInt64LE(8 * i));
        break;
      default:
        v = Number(raw.readBigInt64LE(8 * i));
    }
    out[i] = v > 2 ** 31 - 1 ? -1 : v; // out of any class range: checkLabels names it
  }
  return { shape, dtype: 'int', data: out };
}
