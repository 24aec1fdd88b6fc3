#!/usr/bin/env node
// Which libtorch the addon builds against, for binding.gyp and scripts/setup.sh:
//   node scripts/libtorch.js include|lib|defines|libraries|explain|check|json
// (`check`, the package's install step before node-gyp: silent when a libtorch is found, else
// the one line saying what to install, exit code 1)
// In this order:
//   1. LIBTORCH=/path/to/libtorch (PyTorch's own archive layout: include/, lib/) when set;
//   2. the libtorch inside an installed PyTorch (`python3 -c "import torch"`: its include/ and
//      lib/), asking `python3` on PATH and /usr/bin/python3; one with CUDA on a machine where
//      it sees a GPU first;
//   3. Debian's libtorch-dev (/usr/include/torch, the multiarch lib folder).
// A PyTorch whose libraries are Debian's own (Debian's python3-torch) counts as Debian's.
// The C++ ABI flag is the one that libtorch was built with (torch.compiled_with_cxx11_abi();
// Debian's and LIBTORCH archives without a probe: the compiler's default, 1); the CUDA
// libraries are linked when the lib folder holds them; the rpath is the lib folder, so no
// LD_LIBRARY_PATH is needed. `explain` (and `include`, on stderr) says in one line which
// libtorch was chosen and why.
'use strict';
const fs = require('fs');
const path = require('path');
const childProcess = require('child_process');

const API = path.join('torch', 'csrc', 'api', 'include');
const DEBIAN = {
  include: '/usr/include',
  libs: ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'],
};
// the CUDA half of libtorch: one library since 2.0, two (_cu, _cpp) in some 1.x wheels
const CUDA_LIBRARIES = ['torch_cuda', 'torch_cuda_cu', 'torch_cuda_cpp', 'c10_cuda'];

/** What an installed PyTorch says about itself (null when python has no torch). */
const PROBE = [
  'import json, os, torch',
  'print(json.dumps({"root": os.path.dirname(torch.__file__), "version": torch.__version__,',
  ' "cuda": torch.version.cuda, "gpu": bool(torch.version.cuda) and torch.cuda.is_available(),',
  ' "abi": bool(torch.compiled_with_cxx11_abi())}))',
].join('\n');

function probePython(python) {
  try {
    const out = childProcess.execFileSync(python, ['-c', PROBE], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 120000,
    });
    const facts = JSON.parse(out.trim().split('\n').pop());
    return { python, ...facts };
  } catch {
    return null;
  }
}

/** The facts of this machine: LIBTORCH, each installed PyTorch, Debian's libtorch-dev. */
function facts() {
  const pythons = [];
  for (const python of ['python3', '/usr/bin/python3']) {
    const found = probePython(python);
    if (found && !pythons.some((p) => p.root === found.root)) pythons.push(found);
  }
  return { libtorch: process.env.LIBTORCH || '', pythons, debian: DEBIAN };
}

function realpath(file) {
  try {
    return fs.realpathSync(file);
  } catch {
    return null;
  }
}

function hasHeaders(include) {
  return fs.existsSync(path.join(include, API, 'torch', 'torch.h'));
}

function cudaLibrariesIn(lib) {
  return CUDA_LIBRARIES.filter((name) => fs.existsSync(path.join(lib, `lib${name}.so`)));
}

/** Debian's libtorch-dev: { include, lib } or null. */
function debianLibtorch(debian) {
  if (!hasHeaders(debian.include)) return null;
  const lib = debian.libs.find((d) => fs.existsSync(path.join(d, 'libtorch_cpu.so')));
  return lib ? { include: [path.join(debian.include, API)], lib } : null;
}

/** The ABI flag an archive's CMake config gives its users (-D_GLIBCXX_USE_CXX11_ABI=N). */
function abiOfArchive(root) {
  try {
    const cmake = fs.readFileSync(path.join(root, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'), 'utf8');
    const found = /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(cmake);
    return found ? Number(found[1]) : 1;
  } catch {
    return 1;
  }
}

function archive(root, abi) {
  const include = path.join(root, 'include');
  const lib = path.join(root, 'lib');
  return { include: [include, path.join(include, API)], lib, abi, cuda: cudaLibrariesIn(lib) };
}

/**
 * The choice, from the facts alone (a pure function of them and the files they name):
 * { include: string[], lib, abi: 0|1, cuda: string[], why } or an Error to throw.
 */
function choose({ libtorch, pythons, debian: debianPlaces }) {
  if (libtorch) {
    if (!hasHeaders(path.join(libtorch, 'include')))
      return new Error(
        `LIBTORCH=${libtorch} does not look like libtorch: no include/${API}/torch/torch.h`,
      );
    if (!fs.existsSync(path.join(libtorch, 'lib', 'libtorch_cpu.so')))
      return new Error(`LIBTORCH=${libtorch} does not look like libtorch: no lib/libtorch_cpu.so`);
    return { ...archive(libtorch, abiOfArchive(libtorch)), why: `LIBTORCH=${libtorch} is set` };
  }
  const debian = debianLibtorch(debianPlaces);
  const debianCpu = debian && realpath(path.join(debian.lib, 'libtorch_cpu.so'));
  const usable = pythons.filter(
    (p) =>
      hasHeaders(path.join(p.root, 'include')) &&
      fs.existsSync(path.join(p.root, 'lib', 'libtorch_cpu.so')),
  );
  const isDebians = (p) =>
    debianCpu !== null && realpath(path.join(p.root, 'lib', 'libtorch_cpu.so')) === debianCpu;
  const own = usable.filter((p) => !isDebians(p));
  const withGpu = own.find((p) => p.cuda && p.gpu);
  const pick = withGpu ?? own[0];
  if (pick) {
    const kind = pick.cuda ? `CUDA ${pick.cuda}` : 'CPU only';
    const why = withGpu
      ? 'it has CUDA and sees a GPU'
      : pick.cuda
        ? 'the first installed PyTorch (it has CUDA but sees no GPU)'
        : 'the first installed PyTorch';
    return {
      ...archive(pick.root, pick.abi ? 1 : 0),
      why: `PyTorch ${pick.version} (${kind}) of ${pick.python} at ${pick.root}: ${why}`,
    };
  }
  if (debian) {
    const also = usable.length > 0 ? ", which Debian's python3-torch also uses" : '';
    return {
      ...debian,
      abi: 1,
      cuda: cudaLibrariesIn(debian.lib),
      why: `Debian's libtorch-dev in ${debian.lib}${also}: no LIBTORCH and no other PyTorch found`,
    };
  }
  return new Error(
    "libtorch not found: install Debian's libtorch-dev (apt-get install libtorch-dev, or bash scripts/setup.sh in a clone), PyTorch (pip install torch), or set LIBTORCH to an unpacked libtorch; gradscope's README.md, \"Install\", says more",
  );
}

/** The linker's arguments: libtorch, the CUDA half kept even though nothing names it. */
function libraries(choice) {
  const out = [`-L${choice.lib}`, `-Wl,-rpath,${choice.lib}`, '-ltorch', '-ltorch_cpu', '-lc10'];
  if (choice.cuda.length > 0)
    out.push('-Wl,--no-as-needed', ...choice.cuda.map((l) => `-l${l}`), '-Wl,--as-needed');
  out.push('-ldl');
  return out;
}

function main() {
  const choice = choose(facts());
  if (choice instanceof Error) {
    console.error(`gradscope: ${choice.message}`);
    process.exit(1);
  }
  const line = `gradscope: building against ${choice.why}`;
  const what = process.argv[2];
  if (what === 'include') {
    console.error(line);
    console.log(choice.include.join(' '));
  } else if (what === 'lib') console.log(choice.lib);
  else if (what === 'defines') console.log(`_GLIBCXX_USE_CXX11_ABI=${choice.abi}`);
  else if (what === 'libraries') console.log(libraries(choice).join(' '));
  else if (what === 'explain') console.log(line);
  else if (what === 'check') return;
  else console.log(JSON.stringify(choice));
}

if (require.main === module) main();

module.exports = { choose, libraries };
