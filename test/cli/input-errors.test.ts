/**
 * One line and exit 2 for every input error (issue 27, item 9), where a raw JavaScript error
 * and exit 1 came before: torch.save pickles crafted with a storage type named `constructor`
 * or `__proto__`, a shape that is not a list, negative or fractional sizes, lists nested
 * 200 000 deep or a million items in one APPENDS; a damaged config.json met by `train
 * --resume` and by `serve`; `--threads` above its bound (1024), refused before the engine
 * is asked for the threads.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { gradscope, writeNetworkFile } from '../fixtures/cli-fixtures';
import { gradscopeEach, type CliAnswer } from '../fixtures/cli-one-process';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { mnistNetwork } from '../fixtures/networks';

const dir = tempDir('gradscope-input-errors-');

/** Writes each case as DIR/NAME.pt: a zip archive as torch.save writes one, its data.pkl a
 * protocol 2 pickle built by hand (no torch needed) around one 2 x 2 float tensor. */
const PICKLES = `
import struct, sys, zipfile
def U(s): b = s.encode(); return b"X" + struct.pack("<I", len(b)) + b
def G(m, n): return b"c" + m.encode() + b"\\n" + n.encode() + b"\\n"
def I(v): return b"J" + struct.pack("<i", v)
def F(v): return b"G" + struct.pack(">d", v)
def tensor(stype="FloatStorage", size=b"(K\\x02K\\x02t", stride=b"(K\\x02K\\x01t"):
    return (G("torch._utils", "_rebuild_tensor_v2") + b"(" + b"(" + U("storage") + G("torch", stype)
            + U("0") + U("cpu") + b"K\\x04tQ" + b"K\\x00" + size + stride + b"\\x89"
            + G("collections", "OrderedDict") + b")R" + b"tR")
def state_dict(key, value):
    return b"\\x80\\x02" + G("collections", "OrderedDict") + b")R" + key + value + b"s."
deep = b"]" + b"(]" * 200000 + b"e" * 200000
cases = {
    "sound": state_dict(U("1.weight"), tensor()),
    "constructor": state_dict(U("1.weight"), tensor("constructor")),
    "proto": state_dict(U("1.weight"), tensor("__proto__")),
    "shape-number": state_dict(U("1.weight"), tensor(size=b"K\\x04", stride=b"K\\x01")),
    "shape-negative": state_dict(U("1.weight"), tensor(size=b"(" + I(-1) + b"K\\x04t", stride=b"(K\\x04K\\x01t")),
    "shape-fraction": state_dict(U("1.weight"), tensor(size=b"(" + F(0.5) + b"K\\x02t", stride=b"(K\\x02K\\x01t")),
    "deep-key": state_dict(deep, tensor()),
    "deep-shape": state_dict(U("1.weight"), tensor(size=deep)),
    "wide-appends": state_dict(U("1.weight"), tensor(size=b"](" + b"K\\x01" * 1000000 + b"e")),
    "appends-to-dict": state_dict(U("1.weight"), b"}(K\\x01e"),
}
for name, pkl in cases.items():
    with zipfile.ZipFile(f"{sys.argv[1]}/{name}.pt", "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/data/0", b"\\0" * 64)
`;

/** One line on stderr naming `names`, and exit 2. */
function assertOneLine(r: CliAnswer, names: string): void {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  assert.ok(r.stderr.includes(names), `"${r.stderr.trim()}" should name ${names}`);
  assert.doesNotMatch(r.stderr, /TypeError|RangeError|is not a function|call stack|Invalid array/);
}

const data = path.join(dir, 'data');
fs.mkdirSync(data);
writeIdxFolder(data, false, [64, 16]);
const network = writeNetworkFile(dir, { ...mnistNetwork('tiny'), input: [1, 28, 28] });

test('crafted torch.save pickles: one line naming the file, exit 2', () => {
  const pickles = path.join(dir, 'pickles');
  fs.mkdirSync(pickles);
  const made = spawnSync('/usr/bin/python3', ['-c', PICKLES, pickles], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const net = writeNetworkFile(dir, {
    name: 'two',
    input: [1, 1, 2],
    classes: 2,
    layers: [{ type: 'flatten' }, { type: 'linear', out: 2, bias: false }],
  });
  const checkpoint = (file: string) => [
    ...['analyze', 'gradients', '--checkpoint', file, '--network', net],
    ...['--data', data, '--batch-sizes', '4', '--samples', '2', '--threads', '1'],
  ];
  // asked of the CLI in one process (test/fixtures/cli-one-process.ts): the sound one first,
  // which passes the reader (and is refused later, for another reason: the data)
  const crafted = fs
    .readdirSync(pickles)
    .filter((f) => f !== 'sound.pt')
    .map((f) => path.join(pickles, f));
  const [sound, ...answers] = gradscopeEach(
    [path.join(pickles, 'sound.pt'), ...crafted].map(checkpoint),
  );
  assert.doesNotMatch(sound!.stderr, /sound\.pt/);
  assert.equal(answers.length, 9);
  crafted.forEach((file, i) => assertOneLine(answers[i]!, file));
});

test('a damaged config.json: train --resume and serve name it in one line, exit 2', () => {
  const train = (out: string, ...more: string[]) => [
    ...['train', '--network', network, '--data', data, '--batch-size', '16', '--epochs', '1'],
    ...['--threads', '1', '--quiet', '--out', out, ...more],
  ];
  const out = path.join(dir, 'run');
  assert.equal(gradscope(...train(out)).status, 0);
  // a copy of the run per damage, each met by train --resume and serve, all asked of the CLI in
  // one process (test/fixtures/cli-one-process.ts); the last, a study's config.json whose study
  // is damaged, by serve
  const damages = ['{ x', '[1, 2]', '"a string"', '['.repeat(100000), '{"study": 5}'];
  const configs = damages.map((damaged, i) => {
    const copy = `${out}-${i}`;
    fs.cpSync(out, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, 'config.json'), damaged);
    return path.join(copy, 'config.json');
  });
  const asked = configs.flatMap((config, i) => [
    ...(i < 4 ? [{ config, args: train(path.dirname(config), '--resume') }] : []),
    { config, args: ['serve', path.dirname(config), '--port', '0'] },
  ]);
  const answers = gradscopeEach(asked.map((a) => a.args));
  assert.equal(answers.length, 9);
  asked.forEach(({ config }, i) => assertOneLine(answers[i]!, config));
});

test('--threads above 1024 is refused in one line before the engine is asked', () => {
  for (const threads of ['1000000000', '1025']) {
    const r = gradscope(
      ...['train', '--network', network, '--data', path.join(dir, 'no-such-data')],
      ...['--threads', threads, '--out', path.join(dir, `t-${threads}`)],
    );
    assertOneLine(r, '--threads');
  }
});
