/**
 * scripts/libtorch.js's choice of libtorch, on fake libtorch trees in a temporary folder
 * (headers and libraries as empty files): LIBTORCH first, then an installed PyTorch (one with
 * CUDA that sees a GPU first), then Debian's libtorch-dev; a PyTorch whose libraries are
 * Debian's counts as Debian's. No build runs here.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

interface Python {
  python: string;
  root: string;
  version: string;
  cuda: string | null;
  gpu: boolean;
  abi: boolean;
}
interface Choice {
  include: string[];
  lib: string;
  abi: number;
  cuda: string[];
  why: string;
}
interface Facts {
  libtorch: string;
  pythons: Python[];
  debian: { include: string; libs: string[] };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const chooser = require(path.join(__dirname, '..', '..', '..', 'scripts', 'libtorch.js')) as {
  choose(facts: Facts): Choice | Error;
  libraries(choice: Choice): string[];
};

const API = path.join('torch', 'csrc', 'api', 'include');

function touch(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '');
}

/** A PyTorch-archive-shaped tree: include/.../torch.h, lib/libtorch_cpu.so, maybe CUDA. */
function fakeArchive(root: string, options: { cuda?: boolean; cmakeAbi?: 0 | 1 } = {}): string {
  touch(path.join(root, 'include', API, 'torch', 'torch.h'));
  touch(path.join(root, 'lib', 'libtorch_cpu.so'));
  if (options.cuda) {
    touch(path.join(root, 'lib', 'libtorch_cuda.so'));
    touch(path.join(root, 'lib', 'libc10_cuda.so'));
  }
  if (options.cmakeAbi !== undefined) {
    const cmake = path.join(root, 'share', 'cmake', 'Torch', 'TorchConfig.cmake');
    touch(cmake);
    fs.writeFileSync(
      cmake,
      `set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=${options.cmakeAbi}")\n`,
    );
  }
  return root;
}

/** Debian's layout: /usr/include/torch/..., /usr/lib/<multiarch>/libtorch_cpu.so. */
function fakeDebian(root: string): { include: string; libs: string[] } {
  touch(path.join(root, 'usr', 'include', API, 'torch', 'torch.h'));
  touch(path.join(root, 'usr', 'lib', 'x86_64-linux-gnu', 'libtorch_cpu.so'));
  return {
    include: path.join(root, 'usr', 'include'),
    libs: [path.join(root, 'usr', 'lib', 'x86_64-linux-gnu'), path.join(root, 'usr', 'lib')],
  };
}

/** Debian's python3-torch: include/ and lib/ are links into Debian's folders. */
function fakeDebianPython(root: string, debian: { include: string; libs: string[] }): string {
  const torch = path.join(root, 'dist-packages', 'torch');
  fs.mkdirSync(path.join(torch, 'include'), { recursive: true });
  fs.mkdirSync(path.join(torch, 'lib'), { recursive: true });
  fs.symlinkSync(path.join(debian.include, 'torch'), path.join(torch, 'include', 'torch'));
  fs.symlinkSync(
    path.join(debian.libs[0]!, 'libtorch_cpu.so'),
    path.join(torch, 'lib', 'libtorch_cpu.so'),
  );
  return torch;
}

function python(root: string, fields: Partial<Python> = {}): Python {
  return {
    python: 'python3',
    root,
    version: '2.5.1',
    cuda: null,
    gpu: false,
    abi: true,
    ...fields,
  };
}

function chosen(facts: Facts): Choice {
  const choice = chooser.choose(facts);
  if (choice instanceof Error) throw choice;
  return choice;
}

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-libtorch-'));
test.after(() => fs.rmSync(temp, { recursive: true, force: true }));
const nowhere = { include: path.join(temp, 'no-debian', 'include'), libs: [] };

test('LIBTORCH wins over an installed PyTorch with a GPU; its CMake config gives the ABI', () => {
  const archive = fakeArchive(path.join(temp, 'a', 'libtorch'), { cuda: true, cmakeAbi: 0 });
  const wheel = fakeArchive(path.join(temp, 'a', 'wheel', 'torch'), { cuda: true });
  const debian = fakeDebian(path.join(temp, 'a', 'debian'));
  const choice = chosen({
    libtorch: archive,
    pythons: [python(wheel, { cuda: '12.4', gpu: true })],
    debian,
  });
  assert.equal(choice.lib, path.join(archive, 'lib'));
  assert.deepEqual(choice.include, [
    path.join(archive, 'include'),
    path.join(archive, 'include', API),
  ]);
  assert.equal(choice.abi, 0);
  assert.deepEqual(choice.cuda, ['torch_cuda', 'c10_cuda']);
  assert.match(choice.why, /LIBTORCH=.* is set/);
  const flags = chooser.libraries(choice);
  assert.ok(flags.includes(`-Wl,-rpath,${path.join(archive, 'lib')}`), flags.join(' '));
  const keep = flags.indexOf('-Wl,--no-as-needed');
  assert.ok(keep > 0 && flags[keep + 1] === '-ltorch_cuda' && flags[keep + 2] === '-lc10_cuda');
});

test('a LIBTORCH that is not libtorch is refused, naming the variable and what is missing', () => {
  const empty = path.join(temp, 'b', 'empty');
  fs.mkdirSync(empty, { recursive: true });
  const refused = chooser.choose({ libtorch: empty, pythons: [], debian: nowhere });
  assert.ok(refused instanceof Error);
  assert.match(refused.message, /^LIBTORCH=.*empty does not look like libtorch: no include\//);
  const noLib = path.join(temp, 'b', 'headers-only');
  touch(path.join(noLib, 'include', API, 'torch', 'torch.h'));
  const refusedLib = chooser.choose({ libtorch: noLib, pythons: [], debian: nowhere });
  assert.ok(refusedLib instanceof Error);
  assert.match(refusedLib.message, /no lib\/libtorch_cpu\.so/);
});

test('an installed PyTorch with CUDA that sees a GPU is preferred to an earlier CPU one', () => {
  const cpu = fakeArchive(path.join(temp, 'c', 'cpu', 'torch'));
  const gpu = fakeArchive(path.join(temp, 'c', 'gpu', 'torch'), { cuda: true });
  const debian = fakeDebian(path.join(temp, 'c', 'debian'));
  const choice = chosen({
    libtorch: '',
    pythons: [
      python(cpu),
      python(gpu, { python: '/usr/bin/python3', cuda: '12.1', gpu: true, abi: false }),
    ],
    debian,
  });
  assert.equal(choice.lib, path.join(gpu, 'lib'));
  assert.equal(choice.abi, 0, 'the probe said compiled_with_cxx11_abi() is False');
  assert.deepEqual(choice.cuda, ['torch_cuda', 'c10_cuda']);
  assert.match(choice.why, /CUDA 12\.1.*sees a GPU/);
});

test('without a GPU the first installed PyTorch is taken, before Debian', () => {
  const cudaNoGpu = fakeArchive(path.join(temp, 'd', 'cuda', 'torch'), { cuda: true });
  const cpu = fakeArchive(path.join(temp, 'd', 'cpu', 'torch'));
  const debian = fakeDebian(path.join(temp, 'd', 'debian'));
  const choice = chosen({
    libtorch: '',
    pythons: [python(cudaNoGpu, { cuda: '12.1', gpu: false }), python(cpu)],
    debian,
  });
  assert.equal(choice.lib, path.join(cudaNoGpu, 'lib'));
  assert.equal(choice.abi, 1);
  assert.match(choice.why, /sees no GPU/);
});

test("Debian's python3-torch counts as Debian's libtorch-dev: Debian's folders, ABI 1", () => {
  const debian = fakeDebian(path.join(temp, 'e', 'debian'));
  const torch = fakeDebianPython(path.join(temp, 'e', 'python'), debian);
  const choice = chosen({
    libtorch: '',
    pythons: [python(torch, { version: '1.13.0a0' })],
    debian,
  });
  assert.equal(choice.lib, debian.libs[0]);
  assert.deepEqual(choice.include, [path.join(debian.include, API)]);
  assert.equal(choice.abi, 1);
  assert.deepEqual(choice.cuda, []);
  assert.match(choice.why, /^Debian's libtorch-dev/);
  assert.ok(!chooser.libraries(choice).includes('-Wl,--no-as-needed'));
});

test('a PyTorch without headers or libraries is passed over; nothing at all is one clear error', () => {
  const broken = path.join(temp, 'f', 'broken', 'torch');
  touch(path.join(broken, 'lib', 'libtorch_cpu.so')); // no include/
  const debian = fakeDebian(path.join(temp, 'f', 'debian'));
  const choice = chosen({ libtorch: '', pythons: [python(broken)], debian });
  assert.equal(choice.lib, debian.libs[0]);
  const none = chooser.choose({ libtorch: '', pythons: [python(broken)], debian: nowhere });
  assert.ok(none instanceof Error);
  assert.match(none.message, /^libtorch not found: install Debian's libtorch-dev/);
  // one line (the package's install step prints it) that points a user to the README
  assert.match(none.message, /^[^\n]*README\.md[^\n]*$/);
});
