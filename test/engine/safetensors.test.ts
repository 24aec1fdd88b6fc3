// safetensors reader and writer: round trips, bytes checked against a file built by hand,
// one clear error per kind of damage, and a PyTorch reader that shares no code with ours.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { GradscopeFileError, GradscopeInputError } from '../../src/core/errors';
import {
  decodeSafetensors,
  encodeSafetensors,
  NamedTensor,
  readSafetensors,
  TensorData,
  writeSafetensors,
} from '../../src/engine/safetensors';
import { pythonHas } from '../fixtures/python-has';

const PYTHON = '/usr/bin/python3';
const SCRIPTS = path.resolve(__dirname, '..', '..', '..', 'scripts');

const made: string[] = [];
after(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  made.push(fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-safetensors-')));
  return made[made.length - 1];
}

function bytesOf(data: TensorData): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** A file assembled by hand: u64 little-endian header length, header text, data. */
function handBuilt(header: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  const json = Buffer.from(header, 'utf8');
  const prefix = new DataView(new ArrayBuffer(8));
  prefix.setBigUint64(0, BigInt(json.length), true);
  return Buffer.concat([new Uint8Array(prefix.buffer), json, data]);
}

function everyDtype(): NamedTensor[] {
  const float32 = new Float32Array([1.5, -0, 1e-40, Infinity, NaN, -3.25]);
  const wide = new Float64Array([0, 0.1, -1e300, 7, 8, 9, 10]);
  return [
    { name: '0.weight', shape: [2, 3], data: float32 },
    { name: '0.bias', shape: [2], data: wide.subarray(1, 3) }, // a view at an offset
    { name: 'scalar', shape: [], data: new Float64Array([Math.PI]) },
    { name: '1.num_batches_tracked', shape: [], data: new BigInt64Array([123n]) },
    { name: 'i64', shape: [3], data: new BigInt64Array([2n ** 63n - 1n, -(2n ** 63n), -1n]) },
    { name: 'i32', shape: [1, 3, 1], data: new Int32Array([2147483647, -2147483648, 5]) },
    { name: 'u8', shape: [5], data: new Uint8Array([0, 1, 127, 128, 255]) },
    { name: 'empty', shape: [0], data: new Float32Array(0) },
    { name: 'empty2d', shape: [2, 0, 3], data: new Int32Array(0) },
  ];
}

test('round trip keeps every dtype, shape, value bit and the order', () => {
  const file = path.join(tempDir(), 'model.safetensors');
  const tensors = everyDtype();
  writeSafetensors(file, tensors, { epoch: '3', note: 'ünïcode' });
  const read = readSafetensors(file);
  assert.deepEqual(
    read.order,
    tensors.map((t) => t.name),
  );
  assert.deepEqual(read.metadata, { epoch: '3', note: 'ünïcode' });
  for (const tensor of tensors) {
    const got = read.tensors.get(tensor.name);
    assert.ok(got, tensor.name);
    assert.deepEqual(got.shape, tensor.shape);
    assert.equal(got.data.constructor, tensor.data.constructor, tensor.name);
    assert.deepEqual(bytesOf(got.data), bytesOf(tensor.data), tensor.name);
    assert.equal(got.data.byteOffset, 0, 'a fresh array, not a view into the file');
    assert.equal(got.data.buffer.byteLength, got.data.byteLength);
  }
  assert.equal(
    fs.statSync(file).size,
    encodeSafetensors(tensors, { epoch: '3', note: 'ünïcode' }).length,
  );
});

test('encodes exactly the bytes of a file built by hand', () => {
  let header =
    '{"__metadata__":{"epoch":"3"},' +
    '"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"n":{"dtype":"I32","shape":[],"data_offsets":[8,12]}}';
  header += ' '.repeat((8 - (Buffer.byteLength(header) % 8)) % 8);
  const data = new DataView(new ArrayBuffer(12));
  data.setFloat32(0, 1.5, true);
  data.setFloat32(4, -2, true);
  data.setInt32(8, 7, true);
  const expected = handBuilt(header, new Uint8Array(data.buffer));
  assert.equal((8 + Buffer.byteLength(header)) % 8, 0, 'data starts 8-byte aligned');

  const tensors: NamedTensor[] = [
    { name: 'w', shape: [2], data: new Float32Array([1.5, -2]) },
    { name: 'n', shape: [], data: new Int32Array([7]) },
  ];
  assert.deepEqual(encodeSafetensors(tensors, { epoch: '3' }), expected);
  const read = decodeSafetensors(expected, 'hand.safetensors');
  assert.deepEqual([...(read.tensors.get('w')?.data ?? [])], [1.5, -2]);
  assert.deepEqual([...(read.tensors.get('n')?.data ?? [])], [7]);
});

test('reads a hand-built file whose header is unpadded and lists tensors out of order', () => {
  // Header of 77 bytes: the F64 data lands at file offset 85, not a multiple of 8.
  const header =
    '{"b":{"dtype":"F64","shape":[1],"data_offsets":[1,9]},' +
    '"a":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}';
  const data = new DataView(new ArrayBuffer(9));
  data.setUint8(0, 200);
  data.setFloat64(1, -0.1, true);
  const read = decodeSafetensors(handBuilt(header, new Uint8Array(data.buffer)), 'x');
  assert.deepEqual(read.order, ['a', 'b']);
  assert.deepEqual(read.metadata, {});
  assert.deepEqual([...(read.tensors.get('a')?.data ?? [])], [200]);
  assert.deepEqual([...(read.tensors.get('b')?.data ?? [])], [-0.1]);
});

const F32x2 = '"dtype":"F32","shape":[2]';
const corruptions: [string, Buffer, RegExp][] = [
  ['short', Buffer.from([1, 0, 0, 0, 0]), /5 bytes, shorter than the 8-byte prefix/],
  ['huge header', handBuilt('{}').fill(0xff, 0, 8), /truncated: header says \d+ bytes but only 2/],
  ['not json', handBuilt('{"a": [1,'), /not a safetensors file/],
  ['not utf-8', handBuilt('{"ab":1}').fill(0xff, 10, 11), /not a safetensors file/],
  ['array', handBuilt('[1, 2]'), /not a safetensors file: header is not a JSON object/],
  ['entry', handBuilt('{"a":3}'), /bad entry for tensor "a": 3/],
  [
    'dtype',
    handBuilt('{"a":{"dtype":"F16","shape":[],"data_offsets":[0,2]}}', Buffer.alloc(2)),
    /unsupported dtype "F16" for tensor "a"/,
  ],
  [
    'unknown dtype',
    handBuilt('{"a":{"dtype":"Q9","shape":[],"data_offsets":[0,4]}}', Buffer.alloc(4)),
    /unsupported dtype "Q9" for tensor "a" \(reads F64, F32, I64, I32, U8\)/,
  ],
  [
    'no dtype',
    handBuilt('{"a":{"shape":[],"data_offsets":[0,4]}}', Buffer.alloc(4)),
    /unsupported dtype undefined/,
  ],
  [
    'shape',
    handBuilt('{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', Buffer.alloc(8)),
    /bad shape \[-2\] for tensor "a"/,
  ],
  [
    'shape 1.5',
    handBuilt('{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,6]}}', Buffer.alloc(6)),
    /bad shape \[1.5\]/,
  ],
  [
    'offsets',
    handBuilt(`{"a":{${F32x2},"data_offsets":[8,0]}}`, Buffer.alloc(8)),
    /bad data_offsets \[8,0\] for tensor "a"/,
  ],
  [
    'size',
    handBuilt(`{"a":{${F32x2},"data_offsets":[0,12]}}`, Buffer.alloc(12)),
    /tensor "a" has data_offsets of 12 bytes but shape \[2\] of F32 needs 8/,
  ],
  [
    'cut data',
    handBuilt(`{"a":{${F32x2},"data_offsets":[0,8]}}`, Buffer.alloc(5)),
    /truncated: tensor "a" ends at data byte 8 but the data has 5/,
  ],
  [
    'gap',
    handBuilt(
      `{"a":{${F32x2},"data_offsets":[0,8]},"b":{${F32x2},"data_offsets":[12,20]}}`,
      Buffer.alloc(20),
    ),
    /gap: data bytes 8..12 belong to no tensor/,
  ],
  [
    'gap first',
    handBuilt(`{"b":{${F32x2},"data_offsets":[4,12]}}`, Buffer.alloc(12)),
    /gap: data bytes 0..4/,
  ],
  [
    'overlap',
    handBuilt(
      `{"a":{${F32x2},"data_offsets":[0,8]},"b":{${F32x2},"data_offsets":[4,12]}}`,
      Buffer.alloc(12),
    ),
    /overlap: tensor "b" starts at data byte 4, before 8/,
  ],
  [
    'trailing',
    handBuilt(`{"a":{${F32x2},"data_offsets":[0,8]}}`, Buffer.alloc(9)),
    /data section holds 9 bytes but its tensors cover only 8/,
  ],
  [
    'no tensors',
    handBuilt('{}', Buffer.alloc(3)),
    /data section holds 3 bytes but its tensors cover only 0/,
  ],
  [
    'metadata',
    handBuilt('{"__metadata__":{"epoch":3}}'),
    /bad __metadata__: expected an object of strings/,
  ],
];

for (const [label, bytes, problem] of corruptions) {
  test(`rejects a damaged file (${label}) with one line naming it`, () => {
    const file = path.join(tempDir(), `${label.replace(/ /g, '-')}.safetensors`);
    fs.writeFileSync(file, bytes);
    assert.throws(
      () => readSafetensors(file),
      (error: unknown) => {
        assert.ok(error instanceof GradscopeFileError);
        assert.equal(error.file, file);
        assert.ok(error.message.startsWith(`${file}: `), error.message);
        assert.match(error.message, problem);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
  });
}

test('a valid file cut short anywhere is rejected, never half-read', () => {
  const whole = encodeSafetensors(everyDtype());
  for (let length = 0; length < whole.length; length++) {
    assert.throws(() => decodeSafetensors(whole.subarray(0, length), 'cut.safetensors'), {
      name: 'GradscopeFileError',
      message: /^cut\.safetensors: (truncated|not a safetensors file)/,
    });
  }
});

test('missing file and directory give one line naming the path', () => {
  const dir = tempDir();
  const missing = path.join(dir, 'nope.safetensors');
  assert.throws(() => readSafetensors(missing), { message: `${missing}: file not found` });
  assert.throws(() => readSafetensors(dir), { message: `${dir}: is a directory, not a file` });
});

test('the writer rejects data that does not match its shape, and writes nothing', () => {
  const file = path.join(tempDir(), 'bad.safetensors');
  const cases: [NamedTensor[], RegExp][] = [
    [
      [{ name: 'w', shape: [2, 3], data: new Float32Array(5) }],
      /Expected 6 elements for shape \[2,3\] for the data of tensor "w" but received Float32Array of length 5/,
    ],
    [[{ name: 's', shape: [], data: new Float64Array(0) }], /Expected 1 elements for shape \[\]/],
    [
      [{ name: 'w', shape: [-1], data: new Float32Array(1) }],
      /Expected a list of sizes >= 0 for the shape of tensor "w"/,
    ],
    [
      [{ name: 'w', shape: [1], data: new Int16Array(1) as unknown as Int32Array }],
      /Expected a Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array/,
    ],
    [
      [{ name: 'w', shape: [1], data: [1] as unknown as Float32Array }],
      /for the data of tensor "w"/,
    ],
    [
      [
        { name: 'a', shape: [], data: new Uint8Array(1) },
        { name: 'a', shape: [], data: new Uint8Array(1) },
      ],
      /for tensors\[1\]\.name but received "a"/,
    ],
    [[{ name: '__metadata__', shape: [], data: new Uint8Array(1) }], /for tensors\[0\]\.name/],
  ];
  for (const [tensors, message] of cases) {
    assert.throws(
      () => writeSafetensors(file, tensors),
      (error: unknown) => {
        assert.ok(error instanceof GradscopeInputError);
        assert.match(error.message, message);
        return true;
      },
    );
  }
  const epoch = { epoch: 3 } as unknown as Record<string, string>;
  assert.throws(
    () => writeSafetensors(file, [], epoch),
    /Expected a string for metadata\[epoch\] but received 3/,
  );
  assert.deepEqual(fs.readdirSync(path.dirname(file)), []);
});

test('overwriting a checkpoint replaces it whole and leaves no temporary file', () => {
  const dir = tempDir();
  const file = path.join(dir, 'ckpt.safetensors');
  writeSafetensors(file, everyDtype());
  writeSafetensors(file, [{ name: 'only', shape: [1], data: new Float32Array([2]) }]);
  assert.deepEqual(fs.readdirSync(dir), ['ckpt.safetensors']);
  assert.deepEqual(readSafetensors(file).order, ['only']);
});

test('PyTorch reads what we write (independent json + struct + torch.frombuffer reader)', (t) => {
  if (!pythonHas(PYTHON, 'torch')) {
    t.skip(`${PYTHON} cannot import torch, so there is no PyTorch to compare with`);
    return;
  }
  const file = path.join(tempDir(), 'for-torch.safetensors');
  const tensors = everyDtype().filter((tensor) => tensor.name !== '0.weight'); // no NaN in JSON
  tensors.push({ name: '2.weight', shape: [2, 2], data: new Float32Array([0.1, -2.5, 1e-30, 3]) });
  writeSafetensors(file, tensors, { epoch: '3' });
  const script = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(SCRIPTS)})`,
    'from safetensors_load import load_file, load_metadata',
    'out = {}',
    'for name, t in load_file(sys.argv[1]).items():',
    '    ints = not t.is_floating_point()',
    '    values = [str(v) if ints else v for v in t.flatten().tolist()]',
    '    out[name] = {"dtype": str(t.dtype), "shape": list(t.shape), "values": values}',
    'print(json.dumps({"tensors": out, "metadata": load_metadata(sys.argv[1])}))',
  ].join('\n');
  const run = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const torch = JSON.parse(run.stdout) as {
    tensors: Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
    metadata: Record<string, string>;
  };
  assert.deepEqual(torch.metadata, { epoch: '3' });
  const torchDtype = new Map<unknown, string>([
    [Float32Array, 'torch.float32'],
    [Float64Array, 'torch.float64'],
    [BigInt64Array, 'torch.int64'],
    [Int32Array, 'torch.int32'],
    [Uint8Array, 'torch.uint8'],
  ]);
  assert.deepEqual(Object.keys(torch.tensors).sort(), tensors.map((x) => x.name).sort());
  for (const { name, shape, data } of tensors) {
    const got = torch.tensors[name];
    assert.equal(got.dtype, torchDtype.get(data.constructor), name);
    assert.deepEqual(got.shape, shape, name);
    const floats = data instanceof Float32Array || data instanceof Float64Array;
    const want = Array.from(data as ArrayLike<number | bigint>, (v) => (floats ? v : String(v)));
    assert.deepEqual(got.values, want, name);
  }
});
