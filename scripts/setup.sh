#!/usr/bin/env bash
# gradscope's set-up on a fresh Debian/Ubuntu machine; safe to run again.
#   bash scripts/setup.sh          system packages, npm packages, the native engine, the TypeScript
#   bash scripts/setup.sh --test   also what the tests use: Debian's PyTorch (to compare against),
#                                  Chromium (to open reports), clang-format (npm run lint) and
#                                  Slurm with munge (started and stopped by the test itself)
# The libtorch the native engine builds against (scripts/libtorch.js, which says in one line
# which it chose and why): LIBTORCH=/path/to/libtorch (PyTorch's own archive: include/, lib/)
# when set; else the libtorch inside an installed PyTorch (python3 -c "import torch"), one with
# CUDA that sees a GPU first; else Debian's libtorch-dev, installed here when neither is found.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'gradscope setup: %s\n' "$*" >&2; }

# an installed PyTorch that carries its own headers (a pip wheel) needs no libtorch-dev
has_own_libtorch() {
  local python
  for python in python3 /usr/bin/python3; do
    "$python" -c 'import os, sys, torch
sys.exit(not os.path.isfile(os.path.join(os.path.dirname(torch.__file__), "include", "torch", "csrc", "api", "include", "torch", "torch.h")))' 2>/dev/null && return 0
  done
  return 1
}

# bible-kjv-text: the built-in text corpus (--data kjv, the King James Bible, 2.4 MB), read from
# the package as Fashion-MNIST is, so a language-model run needs no download
packages=(g++ make python3 libopenblas0-pthread bible-kjv-text)
[ -n "${LIBTORCH:-}" ] || has_own_libtorch || packages+=(libtorch-dev)
if [ "${1:-}" = "--test" ]; then
  # slurmctld, slurmd, slurm-client and munge: a one-node Slurm the tests start themselves
  # (scripts/slurm-local.sh), as a user's cluster would run the study's jobs
  packages+=(python3-torch python3-protobuf chromium dataset-fashion-mnist clang-format)
  packages+=(slurmctld slurmd slurm-client munge)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    say "missing ${missing[*]} and this is not a Debian/Ubuntu system (no apt-get)."
    say "install libtorch (or set LIBTORCH) and OpenBLAS yourself, then run: npm ci && npm run build"
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo)
  else
    say "need to install: ${missing[*]}"
    say "run this script as root, or with sudo available, or install them and run it again"
    exit 1
  fi
  say "installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  say "gradscope needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))"
  exit 1
fi

say "npm packages"
# --ignore-scripts: the package's own install step (package.json "install", which builds the native
# engine for `npm install -g gradscope-*.tgz`) would build it a second time; the next line does
npm ci --no-audit --no-fund --loglevel=error --ignore-scripts
say "building the native engine (about 30 s) and the TypeScript"
npm run --silent build >/dev/null
say "ready: $(node bin/gradscope.js --version)"
