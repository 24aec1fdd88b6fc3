/**
 * state_dicts written by torch.save (a zip archive: ARCHIVE/data.pkl, a pickle, and
 * ARCHIVE/data/KEY, each tensor storage's raw bytes), read without running any code: a small
 * pickle machine that knows the opcodes torch.save emits (protocol 2) and builds only what a
 * state_dict holds: dicts (collections.OrderedDict included), tuples, lists, numbers, strings
 * and tensors (torch._utils._rebuild_tensor_v2 over a storage). Any other class a pickle names
 * (a whole pickled model, say) is refused with its name, never imported.
 *
 * Every value the pickle supplies is checked for what it must be before it is used (a storage
 * type is one of STORAGES' own keys, never `constructor` or `__proto__`; a shape is a list of
 * integers >= 0; a key a string), and the machine is a loop over opcodes that nothing reads
 * back recursively, so a crafted pickle, however deeply it nests lists, fails in one line
 * naming the file.
 */
import { GradscopeFileError, isNonNegativeInteger } from '../core/errors';
import { withRegularFile } from '../core/regular-file';
import { pickleCap } from '../core/size-caps';
import type { NamedTensor, TensorData } from './safetensors';
import { checkEntriesFit, zipEntries, zipEntryBytes } from './zip';

/** No tensor of a state_dict is 4 GB or more: a larger size or offset is a crafted file. */
const MAX_BYTES = 4 * 2 ** 30 - 1;

const STORAGES: Record<string, { size: number; make: (b: ArrayBuffer) => TensorData }> = {
  FloatStorage: { size: 4, make: (b) => new Float32Array(b) },
  DoubleStorage: { size: 8, make: (b) => new Float64Array(b) },
  LongStorage: { size: 8, make: (b) => new BigInt64Array(b) },
  IntStorage: { size: 4, make: (b) => new Int32Array(b) },
  ByteStorage: { size: 1, make: (b) => new Uint8Array(b) },
};

class Global {
  constructor(readonly name: string) {}
}
class Storage {
  constructor(
    readonly type: string,
    readonly key: string,
  ) {}
}
class Tensor {
  constructor(readonly tensor: Omit<NamedTensor, 'name'>) {}
}
const MARK = Symbol('mark');
type Value = unknown;

/** The tensors of a torch.save state_dict, by name, in the file's order. */
export function readTorchSaveFile(file: string): Map<string, NamedTensor> {
  const fail = (problem: string) => new GradscopeFileError(file, problem);
  return withRegularFile(file, (opened) => {
    const entries = zipEntries(opened);
    const pkl = [...entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (!pkl) throw fail('not a torch.save archive (no ARCHIVE/data.pkl)');
    const archive = pkl.slice(0, -'data.pkl'.length);
    // every storage the pickle may name, checked together before the first is inflated
    const storageEntries = [...entries.values()].filter((e) =>
      e.name.startsWith(`${archive}data/`),
    );
    checkEntriesFit(opened, storageEntries, "the tensors' storages");
    const storages = new Map<string, Buffer>();
    const storageBytes = (key: string): Buffer => {
      let bytes = storages.get(key);
      if (!bytes) {
        const entry = entries.get(`${archive}data/${key}`);
        if (!entry) throw fail(`storage ${key} is missing from the archive`);
        bytes = zipEntryBytes(opened, entry);
        storages.set(key, bytes);
      }
      return bytes;
    };
    const root = unpickle(zipEntryBytes(opened, entries.get(pkl)!, pickleCap()), fail, (args) => {
      // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks)
      const [storage, offset, size, stride] = args;
      if (!(storage instanceof Storage)) throw fail('a tensor without a storage');
      if (!Object.hasOwn(STORAGES, storage.type))
        throw fail(`a storage of type ${JSON.stringify(storage.type)}, not one a state_dict holds`);
      const kind = STORAGES[storage.type]!;
      if (!isNonNegativeInteger(offset) || !isIntegerList(size, 0) || !isIntegerList(stride))
        throw fail(
          'a tensor whose offset, size or stride is not integers (size: a list, each >= 0)',
        );
      if (stride.length !== size.length)
        throw fail('a tensor whose stride and size differ in length');
      let count = 1;
      for (const n of size) count *= n;
      if (count * kind.size > MAX_BYTES || offset * kind.size > MAX_BYTES)
        throw fail(`a tensor of ${count} values at offset ${offset}, over the 4 GB limit`);
      const bytes = storageBytes(storage.key);
      // contiguous row-major only (what a state_dict holds)
      let expected = 1;
      for (let d = size.length - 1; d >= 0; d--) {
        if (size[d]! > 1 && stride[d] !== expected)
          throw fail('a tensor that is not contiguous; save a state_dict of contiguous tensors');
        expected *= size[d]!;
      }
      const begin = offset * kind.size;
      const end = begin + count * kind.size;
      if (end > bytes.length) throw fail(`storage ${storage.key} is shorter than its tensor`);
      const copy = new ArrayBuffer(count * kind.size);
      new Uint8Array(copy).set(bytes.subarray(begin, end));
      return new Tensor({ shape: [...size], data: kind.make(copy) });
    });
    if (!(root instanceof Map)) throw fail('holds no dict of tensors (a state_dict)');
    const out = new Map<string, NamedTensor>();
    for (const [name, value] of root) {
      if (typeof name !== 'string') throw fail('an entry whose name is not a string');
      if (!(value instanceof Tensor)) throw fail(`entry ${JSON.stringify(name)} is not a tensor`);
      out.set(name, { name, ...value.tensor });
    }
    return out;
  });
}

function unpickle(
  bytes: Buffer,
  fail: (problem: string) => Error,
  rebuildTensor: (args: Value[]) => Tensor,
): Value {
  const stack: Value[] = [];
  const memo = new Map<number, Value>();
  let p = 0;
  const need = (n: number) => {
    if (p + n > bytes.length) throw fail('truncated pickle');
  };
  const popMark = (): Value[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw fail('damaged pickle (no mark)');
    const items = stack.slice(at + 1);
    stack.length = at;
    return items;
  };
  const pop = (): Value => {
    if (stack.length === 0) throw fail('damaged pickle (empty stack)');
    return stack.pop();
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) throw fail('truncated pickle');
    const s = bytes.toString('latin1', p, end);
    p = end + 1;
    return s;
  };
  const listOnTop = (): Value[] => {
    const target = stack[stack.length - 1];
    if (!Array.isArray(target)) throw fail('damaged pickle (items for a non-list)');
    return target;
  };
  const setItems = (target: Value, items: Value[]) => {
    if (!(target instanceof Map)) throw fail('damaged pickle (items for a non-dict)');
    for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  for (;;) {
    need(1);
    const op = bytes[p++]!;
    switch (op) {
      case 0x80:
        need(1);
        p++;
        break; // PROTO
      case 0x2e:
        return pop(); // STOP
      case 0x63: {
        // GLOBAL module\nname\n
        const module = line();
        const name = line();
        const full = `${module}.${name}`;
        if (full === 'collections.OrderedDict' || full === 'torch._utils._rebuild_tensor_v2')
          stack.push(new Global(full));
        else if (module === 'torch' && Object.hasOwn(STORAGES, name))
          stack.push(new Global(`storage:${name}`));
        else throw fail(`names ${full}, which a state_dict does not hold (a whole pickled model?)`);
        break;
      }
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x28:
        stack.push(MARK);
        break; // MARK
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x61: {
        const v = pop();
        listOnTop().push(v);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        const list = listOnTop();
        for (const item of items) list.push(item); // no spread: a million items are arguments
        break;
      } // APPENDS
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(stack[stack.length - 1], [k, v]);
        break;
      }
      case 0x75: {
        const items = popMark();
        setItems(stack[stack.length - 1], items);
        break;
      } // SETITEMS
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4b:
        need(1);
        stack.push(bytes[p]);
        p += 1;
        break; // BININT1
      case 0x4d:
        need(2);
        stack.push(bytes.readUInt16LE(p));
        p += 2;
        break; // BININT2
      case 0x4a:
        need(4);
        stack.push(bytes.readInt32LE(p));
        p += 4;
        break; // BININT
      case 0x8a: {
        // LONG1
        need(1);
        const n = bytes[p++]!;
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[p + i]!);
        if (n > 0 && bytes[p + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        stack.push(Number(v));
        break;
      }
      case 0x47:
        need(8);
        stack.push(bytes.readDoubleBE(p));
        p += 8;
        break; // BINFLOAT
      case 0x58: {
        // BINUNICODE
        need(4);
        const n = bytes.readUInt32LE(p);
        p += 4;
        need(n);
        stack.push(bytes.toString('utf8', p, p + n));
        p += n;
        break;
      }
      case 0x55: {
        need(1);
        const n = bytes[p++]!;
        need(n);
        stack.push(bytes.toString('latin1', p, p + n));
        p += n;
        break;
      } // SHORT_BINSTRING
      case 0x71:
        need(1);
        memo.set(bytes[p++]!, stack[stack.length - 1]);
        break; // BINPUT
      case 0x72:
        need(4);
        memo.set(bytes.readUInt32LE(p), stack[stack.length - 1]);
        p += 4;
        break;
      case 0x68:
        need(1);
        stack.push(memoGet(memo, bytes[p++]!, fail));
        break; // BINGET
      case 0x6a:
        need(4);
        stack.push(memoGet(memo, bytes.readUInt32LE(p), fail));
        p += 4;
        break;
      case 0x51: {
        // BINPERSID: ('storage', storage type, key, location, numel)
        const id = pop();
        const type: Value = Array.isArray(id) ? id[1] : undefined;
        const key: Value = Array.isArray(id) ? id[2] : undefined;
        if (
          !Array.isArray(id) ||
          id[0] !== 'storage' ||
          !(type instanceof Global) ||
          !type.name.startsWith('storage:') ||
          typeof key !== 'string'
        )
          throw fail('damaged pickle (unknown persistent id)');
        stack.push(new Storage(type.name.slice('storage:'.length), key));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop() as Value[];
        const f = pop();
        if (!(f instanceof Global) || !Array.isArray(args)) throw fail('damaged pickle (reduce)');
        if (f.name === 'collections.OrderedDict') stack.push(new Map());
        else if (f.name === 'torch._utils._rebuild_tensor_v2') stack.push(rebuildTensor(args));
        else throw fail(`calls ${f.name}`);
        break;
      }
      case 0x62:
        pop();
        break; // BUILD: a state_dict's _metadata, not needed
      default:
        throw fail(`pickle opcode 0x${op.toString(16)} is not one a torch.save state_dict uses`);
    }
  }
}

/** A list of integers (each >= `least` when given): a tensor's size or stride. */
function isIntegerList(value: Value, least?: number): value is number[] {
  return (
    Array.isArray(value) &&
    value.every((n) => Number.isSafeInteger(n) && (least === undefined || (n as number) >= least))
  );
}

function memoGet(memo: Map<number, Value>, key: number, fail: (p: string) => Error): Value {
  if (!memo.has(key)) throw fail('damaged pickle (memo)');
  return memo.get(key);
}
