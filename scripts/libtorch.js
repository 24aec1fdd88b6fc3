#!/usr/bin/env node
// Where libtorch lives, for binding.gyp: `node scripts/libtorch.js include|lib|libdirs`.
// LIBTORCH=/path/to/libtorch (PyTorch's own archive layout: include/, lib/) wins;
// otherwise Debian's libtorch-dev (/usr/include/torch, multiarch lib dir).
'use strict';
const fs = require('fs');
const path = require('path');

function locate() {
  const root = process.env.LIBTORCH;
  if (root) {
    const include = path.join(root, 'include');
    const lib = path.join(root, 'lib');
    if (!fs.existsSync(path.join(include, 'torch', 'csrc', 'api', 'include', 'torch', 'torch.h'))) {
      throw new Error(`LIBTORCH=${root} does not look like libtorch: no include/torch/csrc/api/include/torch/torch.h`);
    }
    return { include: [include, path.join(include, 'torch', 'csrc', 'api', 'include')], lib };
  }
  const api = '/usr/include/torch/csrc/api/include';
  if (!fs.existsSync(path.join(api, 'torch', 'torch.h'))) {
    throw new Error('libtorch not found: install Debian\'s libtorch-dev (bash scripts/setup.sh) or set LIBTORCH to an unpacked libtorch');
  }
  const candidates = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
  const lib = candidates.find((d) => fs.existsSync(path.join(d, 'libtorch_cpu.so')));
  if (!lib) throw new Error('libtorch headers found but libtorch_cpu.so not found');
  return { include: [api], lib };
}

try {
  const where = locate();
  const what = process.argv[2];
  if (what === 'include') console.log(where.include.join(' '));
  else if (what === 'lib') console.log(where.lib);
  else console.log(JSON.stringify(where));
} catch (e) {
  console.error(`gradscope: ${e.message}`);
  process.exit(1);
}
