#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset `fuzz`: clang++-14, ASan and
# UBSan) and runs each on its committed seed corpus (tests/fuzz/corpus/).
#
# Usage: tools/fuzz.sh                 CI mode: a fixed number of runs per target
#                                      from a fixed seed (-runs, -seed=1) and the
#                                      committed seeds only (coverage, and so the
#                                      later mutations, can differ a little
#                                      between runs: docs/reliability.md)
#        tools/fuzz.sh --long SECONDS  nightly mode: each target for SECONDS
#                                      (-max_total_time) from a random seed,
#                                      keeping what it learns in build/fuzz-runs/corpus/
#        tools/fuzz.sh --no-build ...  skip the build (the fuzz preset is built)
# Targets: fuzz_spec_loader (spec text), fuzz_baseline (a baseline file for
# capplan check), fuzz_overrides (--set options). docs/reliability.md, Fuzzing.
#
# Exit status: 0 no finding; 1 a target crashed, hit a sanitizer report, an
# uncaught exception, a timeout (10 s on one input) or the 2 GiB memory limit
# (the input is saved as build/fuzz-runs/artifacts/<target>-crash-..., -timeout-...
# or -oom-...; replay it with build/fuzz/<target> FILE); 2 bad usage or the
# build failed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage="usage: tools/fuzz.sh [--no-build] [--long SECONDS]"
build=1
long_seconds=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) build=0 ;;
    --long)
      if [[ $# -lt 2 || ! "$2" =~ ^[1-9][0-9]*$ ]]; then
        echo "fuzz: --long needs a number of seconds per target" >&2
        echo "$usage" >&2
        exit 2
      fi
      long_seconds="$2"
      shift
      ;;
    -h | --help)
      echo "$usage"
      exit 0
      ;;
    *)
      echo "fuzz: unknown option '$1'" >&2
      echo "$usage" >&2
      exit 2
      ;;
  esac
  shift
done

cd "$root" || exit 2
if ((build)); then
  cmake --preset fuzz >/dev/null && cmake --build --preset fuzz || {
    echo "fuzz: building the fuzz preset failed" >&2
    exit 2
  }
fi

# target, corpus, runs in CI mode (about a minute each on the 2-core CI
# machine, docs/reliability.md), -max_len (bytes: room for the largest shipped
# spec or baseline seed; longer inputs add time, not coverage), dictionary.
targets=(
  "fuzz_spec_loader spec 40000 24576 tests/fuzz/yaml.dict"
  "fuzz_baseline baseline 70000 72000 tests/fuzz/baseline.dict"
  "fuzz_overrides overrides 18000 1024 tests/fuzz/yaml.dict"
)

out="$root/build/fuzz-runs"
mkdir -p "$out/artifacts"
failed=()
for line in "${targets[@]}"; do
  read -r target corpus runs max_len dict <<<"$line"
  binary="$root/build/fuzz/$target"
  if [[ ! -x "$binary" ]]; then
    echo "fuzz: $binary is missing (build the fuzz preset, or drop --no-build)" >&2
    exit 2
  fi
  # New inputs go to the first folder, never to the committed seeds. In CI
  # mode it starts empty, so a run depends on the committed tree only; the
  # nightly corpus has its own folder, so a CI run does not wipe it.
  if [[ -z "$long_seconds" ]]; then
    scratch="$out/ci-corpus/$target"
    rm -rf "$scratch"
    mode=(-runs="$runs" -seed=1)
  else
    scratch="$out/corpus/$target"
    mode=(-max_total_time="$long_seconds" -seed=0)
  fi
  mkdir -p "$scratch"
  echo "fuzz: $target (${mode[*]})"
  start=$SECONDS
  "$binary" "${mode[@]}" -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" -dict="$dict" \
    -artifact_prefix="$out/artifacts/$target-" -print_final_stats=1 \
    "$scratch" "tests/fuzz/corpus/$corpus" >"$out/$target.log" 2>&1
  status=$?
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE' "$out/$target.log"
  echo "fuzz: $target: exit $status after $((SECONDS - start)) s (log: build/fuzz-runs/$target.log)"
  if ((status != 0)); then
    tail -n 60 "$out/$target.log"
    failed+=("$target")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no findings"
