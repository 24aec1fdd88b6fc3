#!/usr/bin/env bash
# Regenerates one published study of docs/results/ from scratch (docs/results/README.md).
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/results.sh NAME [options]

NAME
  thesis-f1   the piggybacked study on F1: gradscope run thesis --network F1 (three seeds;
              about 1.5 hours on 2 cores)
  switch-f1   when to leave the small batch, and for what: gradscope run configs/switch.yaml (F1;
              the control, the fixed switch, the switches by test accuracy and by the noise
              scale, the ramps by B_simple and by the critical batch size; two seeds; about 2.5
              hours a seed on 2 cores)
  keskar-f1   Keskar et al. 2017, Tables 2 to 4 on F1: small batch 256 against large batch 6000
              (10% of MNIST's training set) with Adam, from scratch, then Keskar's sharpness
              (eps 1e-3 and 5e-4, full space and a random 100-dimensional subspace); three seeds

Runs the study into a scratch folder (resumed there if a run was stopped), then publishes into
ROOT/NAME/ only what a reader needs (report.json, conclusions.md, thesis-tables.md, the SVG
figures but those of single epochs; no checkpoints), ROOT/NAME/results.json (wall time, CPU
model and cores, gradscope version and commit) and the page ROOT/NAME.md. The published folder
and page are replaced only once everything is ready: a failed run leaves them as they were.

options
  --root DIR      where to publish (default: docs/results)
  --scratch DIR   the scratch run folder (default: runs/results/NAME); --fresh empties it first
  --fresh         start the scratch run again instead of resuming it
  --seeds LIST    the seeds (default: the config's for thesis-*, 0,1,2 for keskar-*)
  --config FILE   thesis-*, switch-*: run this study config instead of thesis or
                  configs/switch.yaml (a check of the machinery; only with a --root other than
                  docs/results)
  --smoke         keskar-*: 1 epoch, sharpness on 2000 examples with 2 iterations (a check of
                  the machinery; only with a --root other than docs/results)
  -h, --help      this text
USAGE
}

fail() { echo "scripts/results.sh: $*" >&2; exit 2; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
gradscope=(node "$repo/bin/gradscope.js")
name="" root="$repo/docs/results" scratch="" fresh=0 seeds="" config="" smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --root) [ $# -ge 2 ] || fail "--root needs a folder"; root="$2"; shift 2 ;;
    --scratch) [ $# -ge 2 ] || fail "--scratch needs a folder"; scratch="$2"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --seeds) [ $# -ge 2 ] || fail "--seeds needs a list"; seeds="$2"; shift 2 ;;
    --config) [ $# -ge 2 ] || fail "--config needs a file"; config="$2"; shift 2 ;;
    --smoke) smoke=1; shift ;;
    -*) fail "unknown option $1 (see --help)" ;;
    *) [ -z "$name" ] || fail "one NAME only (got $name and $1)"; name="$1"; shift ;;
  esac
done
[ -n "$name" ] || { usage >&2; exit 2; }
case "$name" in thesis-f1|switch-f1|keskar-f1) ;; *) fail "$name: not a published study (thesis-f1, switch-f1 or keskar-f1)" ;; esac
[ -z "$seeds" ] || [[ "$seeds" =~ ^[0-9]+(,[0-9]+)*$ ]] || fail "--seeds: expected a list such as 0,1,2, got $seeds"
mkdir -p "$root"
root="$(cd "$root" && pwd)"
if [ -n "$config$smoke" ] && [ "$config$smoke" != "0" ] && [ "$root" = "$repo/docs/results" ]; then
  fail "--config and --smoke check the machinery: give them a --root other than docs/results"
fi
[ -z "$config" ] || [ -f "$config" ] || fail "--config: no such file $config"
[ -z "$config" ] || [ "$name" != keskar-f1 ] || fail "--config is for thesis-f1 and switch-f1"
[ "$smoke" = 0 ] || [ "$name" = keskar-f1 ] || fail "--smoke is for keskar-f1"
[ -f "$repo/dist/src/cli.js" ] || fail "no dist/: build first (npm run build:ts)"
scratch="${scratch:-$repo/runs/results/$name}"
[ "$fresh" = 0 ] || rm -rf "$scratch"
mkdir -p "$scratch"

# a run stopped earlier is resumed: its time before this invocation is not counted, and the
# page says so
resumed=false
[ -z "$(ls -A "$scratch")" ] || resumed=true
staging="$(mktemp -d "$root/.staging-$name-XXXXXX")"
trap 'rm -rf "$staging"' EXIT
started=$(date +%s)

if [ "$name" != keskar-f1 ]; then
  # a study: gradscope run into the scratch folder, resumed where it holds a run
  run="$scratch/run"
  if [ "$name" = thesis-f1 ]; then what=(thesis --network F1); else what=("$repo/configs/switch.yaml"); fi
  shown="${what[*]}"
  [ "$name" = thesis-f1 ] || shown=configs/switch.yaml
  [ -z "$config" ] || { what=("$config"); shown="$config"; }
  options=()
  [ -z "$seeds" ] || options+=(--seeds "$seeds")
  [ ! -f "$run/config.json" ] || options+=(--resume)
  command="gradscope run $shown${seeds:+ --seeds $seeds}"
  "${gradscope[@]}" run "${what[@]}" --out "$run" "${options[@]}"
  mkdir -p "$staging/$name/figures"
fi
if [ "$name" = thesis-f1 ]; then
  cp "$run/report.json" "$run/tables/conclusions.md" "$run/tables/thesis-tables.md" "$staging/$name/"
  for f in "$run"/figures/*.svg; do
    case "$(basename "$f")" in *-epoch-[0-9]*.svg) ;; *) cp "$f" "$staging/$name/figures/" ;; esac
  done
elif [ "$name" = switch-f1 ]; then
  # the report of this version of gradscope, whichever wrote the run's
  "${gradscope[@]}" report "$run" --quiet
  cp "$run/report.json" "$run/tables/switch.md" "$staging/$name/"
  cp "$run"/figures/*.svg "$staging/$name/figures/" 2>/dev/null || true
else
  seeds="${seeds:-0,1,2}" epochs=60 sample=() iterations=10
  if [ "$smoke" = 1 ]; then epochs=1 sample=(--sample-size 2000 --hessian-sample 500) iterations=2; fi
  command="scripts/results.sh keskar-f1: gradscope train --batch-size 256|6000 --epochs $epochs, then analyze sharpness"
  IFS=, read -r -a seedList <<<"$seeds"
  for regime in sb lb; do
    batch=256
    [ "$regime" = sb ] || batch=6000
    for seed in "${seedList[@]}"; do
      out="$scratch/$regime-seed-$seed"
      resume=()
      [ ! -f "$out/config.json" ] || resume=(--resume)
      "${gradscope[@]}" train --network F1 --data mnist --batch-size "$batch" --epochs "$epochs" \
        --optimizer adam --lr 0.001 --seed "$seed" --quiet --out "$out" "${resume[@]}"
      last="$(ls "$out"/checkpoints/train/epoch-*.safetensors | grep -v '\.train\.safetensors$' | tail -n 1)"
      "${gradscope[@]}" analyze sharpness --checkpoint "$last" --eps 0.001,0.0005 --subspace 100 \
        --iterations "$iterations" --top-k 0 --hutchinson 0 --seed "$seed" --quiet --json "${sample[@]}" \
        >"$out.sharpness.json.tmp"
      mv "$out.sharpness.json.tmp" "$out.sharpness.json"
    done
  done
  mkdir -p "$staging/$name"
  settings="$(node -e 'const [e, s] = process.argv.slice(1); console.log(JSON.stringify({ network: "F1",
    data: "mnist", optimizer: "Adam, lr 0.001", epochs: Number(e), seeds: s.split(",").map(Number),
    regimes: [{ regime: "sb", batchSize: 256 }, { regime: "lb", batchSize: 6000 }] }))' "$epochs" "$seeds")"
  node "$repo/scripts/results.js" keskar-report "$scratch" "$staging/$name/report.json" "$settings"
  cp "$root/keskar-2017.json" "$staging/" 2>/dev/null || cp "$repo/docs/results/keskar-2017.json" "$staging/"
fi

seconds=$(( $(date +%s) - started ))
cpu="$(grep -m 1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//' || true)"
commit="$(git -C "$repo" rev-parse --short HEAD)"
[ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] || commit="$commit-dirty"
node -e 'const [file, name, command, seconds, resumed, cpu, cores, version, commit] = process.argv.slice(1);
  require("fs").writeFileSync(file, JSON.stringify({ name, command, seconds: Number(seconds), resumed: resumed === "true",
    finished: new Date().toISOString().replace(/\.\d+Z$/, "Z"), machine: { cpu: cpu || "unknown CPU",
    cores: Number(cores) }, gradscope: { version, commit } }, null, 1) + "\n");' \
  "$staging/$name/results.json" "$name" "$command" "$seconds" "$resumed" "$cpu" "$(nproc)" \
  "$(node -p "require('$repo/package.json').version")" "$commit"
node "$repo/scripts/results.js" page "$name" --root "$staging" >/dev/null

# everything is ready: swap it in (the old folder moved aside first, removed last)
old="$staging/old"
[ ! -e "$root/$name" ] || mv "$root/$name" "$old"
mv "$staging/$name" "$root/$name"
mv "$staging/$name.md" "$root/$name.md"
[ "$name" != keskar-f1 ] || [ -f "$root/keskar-2017.json" ] || cp "$staging/keskar-2017.json" "$root/"
echo "published $root/$name.md ($seconds s on $cpu, $(nproc) cores)"
# the README's first screen shows the published studies (src/report/readme-results.ts)
if [ "$(cd "$root" && pwd -P)" = "$(cd "$repo/docs/results" && pwd -P)" ]; then
  node "$repo/scripts/results.js" readme
fi
