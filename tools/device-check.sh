#!/usr/bin/env bash
# The CUDA backend's check on a lent H100/H200, in one run of at most
# CAPPLAN_CHECK_BUDGET_S seconds (default 480: 8 minutes, start-up of the
# machine not included), most important steps first:
#   1. the device: nvidia-smi's card, driver, clocks and memory; the runtime;
#   2. CPU/GPU parity on every config and test spec, default kernel variant
#      (tests/test_cuda.cpp CudaParity.EveryConfigMatchesTheCpu); on a
#      difference the test writes the first differing cells and both sides'
#      raw counters (CAPPLAN_PARITY_DUMP);
#   3. `capplan bench`: the GPU beside one CPU thread, reference scenario
#      (monthly), a daily-report variant and configs/bench-large.yaml;
#   4. `capplan run` of 10^7 reference trials end to end;
#   5. parity of every kernel variant and block size on the reference, then
#      the rest of test_cuda (errors, device description);
#   6. the kernel variant sweep (bench --cuda-sweep) on the reference;
#   7. compute-sanitizer memcheck, racecheck, initcheck and synccheck on a
#      small run (CudaSanitizer.SmallRun);
#   8. if time is left: every CPU test (ctest), which CI also runs.
# A step that cannot finish inside the budget is cut short and marked; the
# script never runs past it. It prints a short table last.
#
# What comes back ($OUT, at most 8 files): summary.txt (the table), and
# device-check.tar.gz with every log: device.txt, ptxas.txt (registers,
# stack, spills per kernel, from the build), parity logs and dumps, bench,
# sweep, the 10^7 run's outputs, sanitizer reports.
#
# Usage (from anywhere; it runs in the repository root):
#   tools/device-check.sh --build-only    # here: configure and build with CUDA (sm_90) and
#                                         # the ptxas resource report, bundle the shared
#                                         # libraries the binaries need into BUILD/lib,
#                                         # strip what running does not need, mark BUILD prebuilt
#   tools/device-check.sh                 # there: check with the carried build (or build first)
# The device machines have nvcc, CMake and ninja but none of this project's
# libraries (yaml-cpp, fmt, OpenSSL's libcrypto, libgomp, GTest, ...): build
# here with --build-only and carry the build folder (run's `carry`), e.g.
#   tools/device-check.sh --build-only && <device run, carry build-device>: tools/device-check.sh
#
# Environment: CAPPLAN_DEVICE_BUILD (build folder, default build-device),
# OUT (where the results go, default BUILD/device-check), CAPPLAN_CHECK_BUDGET_S
# (default 480), CAPPLAN_CHECK_QUICK=1 (a tenth of the benchmark trials).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
BUILD=${CAPPLAN_DEVICE_BUILD:-build-device}
RESULTS=${OUT:-$BUILD/device-check}
BUDGET=${CAPPLAN_CHECK_BUDGET_S:-480}
MODE=check
case "${1:-}" in
  --build-only) MODE=build ;;
  "") ;;
  *) echo "usage: $0 [--build-only]" >&2; exit 2 ;;
esac

START=$(date +%s)
DEADLINE=$((START + BUDGET))
ROWS=()  # "step|result|seconds|detail"
FAILED=0
step_start=0
mkdir -p "$RESULTS"
LOGS=$(mktemp -d)
SCRATCH=$(mktemp -d)

step() {
  step_start=$(date +%s)
  echo
  echo "=== [$(date +%H:%M:%S), +$((step_start - START)) s] $*"
}
record() {  # record STEP RESULT DETAIL
  ROWS+=("$1|$2|$(($(date +%s) - step_start))|$3")
  if [[ "$2" == FAIL* || "$2" == CUT* ]]; then FAILED=$((FAILED + 1)); fi
}
# left, within SECONDS CMD...: the budget (DEADLINE) every step draws from.
source tools/time-budget.sh
print_table() {
  echo
  echo "=== device check summary ($(date -u +%Y-%m-%dT%H:%MZ), $(($(date +%s) - START)) s of a ${BUDGET} s budget) ==="
  printf '%-36s %-8s %7s  %s\n' "step" "result" "seconds" "detail"
  local row
  for row in "${ROWS[@]}"; do
    IFS='|' read -r a b c d <<<"$row"
    printf '%-36s %-8s %7s  %s\n' "$a" "$b" "$c" "$d"
  done
  if [[ -s "$LOGS/bench.txt" ]]; then
    echo
    echo "--- capplan bench (simulate and aggregate; last column: GPU over one CPU thread) ---"
    cat "$LOGS/bench.txt"
  fi
  if [[ -s "$LOGS/sweep.txt" ]]; then
    echo
    echo "--- kernel variants, reference: b = block size, r = register cap (0 none), i/c = steps inlined/called ---"
    cat "$LOGS/sweep.txt"
  fi
}
finish() {
  print_table | tee "$RESULTS/summary.txt"
  tar -C "$LOGS" -czf "$RESULTS/device-check.tar.gz" . 2>/dev/null || true
  rm -rf "$SCRATCH" "$LOGS"
}

# ---- build (here, or there when nothing was carried) ------------------------
prebuilt=0
if [[ "$MODE" == check && -f "$BUILD/.prebuilt" && -f "$BUILD/CMakeCache.txt" ]]; then prebuilt=1; fi

bundle_libraries() {
  # Every shared library the binaries load, except the C library's own and the
  # compiler's runtime (libstdc++, libgcc_s), which every CUDA image has in a
  # version at least as new. Loaded through LD_LIBRARY_PATH by this script only.
  mkdir -p "$BUILD/lib"
  for binary in "$BUILD/capplan" "$BUILD"/test_*; do
    [[ -x "$binary" && -f "$binary" ]] || continue
    ldd "$binary" | awk '/=> \// {print $3}'
  done | sort -u |
    grep -vE '/(libc|libm|libpthread|libdl|librt|libresolv|ld-linux[^/]*|libstdc\+\+|libgcc_s)\.so' |
    while read -r lib; do cp -L "$lib" "$BUILD/lib/"; done
  local missing
  missing=$(for binary in "$BUILD/capplan" "$BUILD"/test_*; do
    [[ -x "$binary" && -f "$binary" ]] && LD_LIBRARY_PATH="$BUILD/lib" ldd "$binary" | grep 'not found' || true
  done)
  if [[ -n "$missing" ]]; then
    echo "$missing"
    return 1
  fi
}

if [[ $prebuilt == 0 ]]; then
  step "configure and build ($BUILD, CAPPLAN_ENABLE_CUDA=ON, sm_90)"
  rm -f "$BUILD/.prebuilt"
  # --resource-usage prints ptxas's registers, stack and spills per kernel;
  # -lineinfo lets Nsight Compute (tools/device-profile.sh) attribute samples
  # to source lines. Neither changes the generated code.
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAPPLAN_ENABLE_CUDA=ON \
    -DCAPPLAN_ENABLE_MPI=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DCAPPLAN_BUILD_TESTS=ON \
    "-DCMAKE_CUDA_FLAGS=--resource-usage -lineinfo" >/dev/null
  build_start=$(date +%s)
  if ! ninja -C "$BUILD" >"$LOGS/build.txt" 2>&1; then
    grep -E 'error|FAILED' "$LOGS/build.txt" | head -n 20 || true
    record "build (cmake + ninja)" FAIL "see build.txt"
    finish
    exit 1
  fi
  grep -E 'ptxas info|bytes stack frame|Function properties|Compiling entry' "$LOGS/build.txt" >"$BUILD/ptxas.txt" || true
  record "build (cmake + ninja)" ok "$(nproc) cores, $(($(date +%s) - build_start)) s of ninja"
  if [[ "$MODE" == build ]]; then
    step "bundle shared libraries into $BUILD/lib"
    if ! bundle_libraries; then
      record "bundle" FAIL "libraries not found (above)"
      finish
      exit 1
    fi
    # Objects and archives are not needed to run: keep the folder small enough to carry.
    find "$BUILD" -name '*.o' -delete
    find "$BUILD" -maxdepth 1 -name '*.a' -delete
    rm -rf "$BUILD/CMakeFiles/CheckCUDA" "$BUILD"/CMakeFiles/[0-9]*.[0-9]*.[0-9]*/CompilerId*
    # Host symbols of the tests that never touch the GPU are not needed there.
    for binary in "$BUILD"/test_*; do
      [[ "$binary" == */test_cuda ]] || strip --strip-unneeded "$binary" 2>/dev/null || true
    done
    touch "$BUILD/.prebuilt"
    size_mib=$(du -sm "$BUILD" | cut -f1)
    result=ok
    if ((size_mib >= 64)); then result=FAIL; fi
    record "bundle" "$result" "$(ls "$BUILD/lib" | tr '\n' ' ')${size_mib} MiB in all (carry limit 64 MiB)"
    print_table
    rm -rf "$SCRATCH" "$LOGS"
    echo "carry '$BUILD' to the device machine and run tools/device-check.sh there"
    [[ $result == ok ]]
    exit
  fi
else
  step "use the prebuilt $BUILD"
  # Tests and ctest files name the source tree by the absolute path it was
  # configured in: make that path lead here when it is another machine's.
  configured=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD/CMakeCache.txt")
  detail="configured in $configured"
  if [[ "$configured" != "$ROOT" ]]; then
    if [[ ! -e "$configured" ]]; then
      mkdir -p "$(dirname "$configured")"
      ln -s "$ROOT" "$configured"
      detail="$detail (linked to $ROOT)"
    else
      detail="$detail (exists: other tests may read it; test_cuda reads CAPPLAN_SOURCE_DIR)"
    fi
  fi
  record "prebuilt build" ok "$detail"
fi
trap finish EXIT
export CAPPLAN_SOURCE_DIR="$ROOT"
if [[ -d "$BUILD/lib" ]]; then export LD_LIBRARY_PATH="$ROOT/$BUILD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
[[ -f "$BUILD/ptxas.txt" ]] && cp "$BUILD/ptxas.txt" "$LOGS/ptxas.txt"
CAPPLAN="$BUILD/capplan"
TEST_CUDA="$BUILD/test_cuda"
scale=1
if [[ "${CAPPLAN_CHECK_QUICK:-0}" == 1 ]]; then scale=10; fi

# ---- 1. the device ------------------------------------------------------------
step "device"
{
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.limit,temperature.gpu \
    --format=csv 2>&1 || true
  nvidia-smi -q -d CLOCK,PERFORMANCE 2>&1 | head -n 60 || true
  echo "nvcc: $(nvcc --version 2>/dev/null | tail -n 1 || echo none)"
  echo "kernel: $(uname -r) (gVisor reports 4.4.0; Firecracker e.g. 6.x-fc)"
  echo "cores: $(nproc)"
} >"$LOGS/device.txt" 2>&1
gpu=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -n 1 || true)
runtime=firecracker
if [[ "$(uname -r)" == 4.4.0* ]]; then runtime=gvisor; fi
if command -v cuobjdump >/dev/null; then cuobjdump --dump-resource-usage "$CAPPLAN" >>"$LOGS/ptxas.txt" 2>&1 || true; fi
record "device" "$([[ -n "$gpu" ]] && echo ok || echo FAIL)" "${gpu:-no GPU}; runtime $runtime"

# run_gtest NAME SECONDS FILTER: one test_cuda run, logged and recorded.
run_gtest() {
  local name=$1 seconds=$2 filter=$3 log="$LOGS/$1.txt" code=0
  within "$seconds" "$TEST_CUDA" --gtest_filter="$filter" --gtest_color=no >"$log" 2>&1 || code=$?
  local passed skipped
  passed=$(grep -E '^\[  PASSED  \]' "$log" | head -n 1 || true)
  skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9][0-9]*\) tests\{0,1\}, listed below:$/\1/p' "$log")
  if ((code == 124 || code == 125)); then
    record "$name" CUT "out of time (budget ${BUDGET} s)"
  elif ((code != 0)); then
    grep -E '^\[  FAILED  \]|Failure|differs|first differing' "$log" | head -n 20 || true
    record "$name" FAIL "exit $code; see $name.txt"
  elif [[ -n "$skipped" && "$skipped" != 0 ]]; then
    grep -E 'no CUDA GPU' "$log" | head -n 1 || true
    record "$name" SKIPPED "$skipped skipped: $(grep -oE 'no CUDA GPU.*' "$log" | head -n 1)"
    FAILED=$((FAILED + 1))
  else
    record "$name" ok "$passed"
  fi
}

# ---- 2. parity on every config, default variant ---------------------------------
step "parity: every config and test spec, default kernel variant"
export CAPPLAN_PARITY_DUMP="$LOGS/parity-dump"
mkdir -p "$CAPPLAN_PARITY_DUMP"
run_gtest parity-every-config 150 'CudaParity.EveryConfigMatchesTheCpu:CudaParity.RawCountersOfASmallConfig'

# ---- 3. benchmarks ----------------------------------------------------------------
step "benchmarks (GPU beside one CPU thread)"
daily="$SCRATCH/openai-aws-2026-daily.yaml"
sed -e 's/^name: openai-aws-2026$/name: openai-aws-2026-daily/' -e 's/^  every: month.*$/  every: day/' \
  configs/openai-aws-2026.yaml >"$daily"
: >"$LOGS/bench.txt"
bench() {  # bench CPU_TRIALS GPU_TRIALS SPEC
  local out code=0
  out=$(within 60 "$CAPPLAN" bench --backend auto --threads 1 --trials "$1" --gpu-trials "$2" "$3" 2>&1) || code=$?
  echo "$out"
  if ((code != 0)); then
    echo "FAILED (exit $code): capplan bench --trials $1 --gpu-trials $2 $3" >>"$LOGS/bench.txt"
    return 1
  fi
  if [[ ! -s "$LOGS/bench.txt" ]]; then echo "$out" | head -n 1 >>"$LOGS/bench.txt"; fi
  echo "$out" | tail -n +2 >>"$LOGS/bench.txt"
  if ! grep -q ' cuda b' <<<"$out"; then
    echo "FAILED: no GPU row for $3 (the GPU was not usable)" >>"$LOGS/bench.txt"
    return 1
  fi
}
ok=ok
bench $((20000 / scale)) $((10000000 / scale)) configs/openai-aws-2026.yaml || ok=FAIL
bench $((10000 / scale)) $((2000000 / scale)) "$daily" || ok=FAIL
bench $((400 / scale)) $((200000 / scale)) configs/bench-large.yaml || ok=FAIL
record "capplan bench (cpu x1, cuda)" "$ok" "reference monthly, daily, bench-large"

# ---- 4. the 10^7-trial run end to end -----------------------------------------------
step "capplan run of 10^7 trials end to end (reference, cuda)"
t0=$(date +%s.%N)
code=0
within 90 "$CAPPLAN" run configs/openai-aws-2026.yaml --backend cuda --trials $((10000000 / scale)) \
  --out "$SCRATCH/run-cuda" >"$LOGS/run-cuda.txt" 2>&1 || code=$?
wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
if ((code == 0)); then
  cp "$SCRATCH/run-cuda"/*.csv "$SCRATCH/run-cuda/run.json" "$LOGS/" 2>/dev/null || true
  record "capplan run 1e7 trials (cuda)" ok "wall ${wall} s (target < 3 s)"
else
  tail -n 5 "$LOGS/run-cuda.txt"
  record "capplan run 1e7 trials (cuda)" FAIL "exit $code after ${wall} s; see run-cuda.txt"
fi

# ---- 5. parity of every variant and block size; the rest of test_cuda ------------------
step "parity: kernel variants and block sizes (reference), errors, description"
# (CudaBuild.SimulatorWithoutGpuThrowsRuntimeFailure is for machines without a GPU: it skips here.)
run_gtest parity-variants 120 'CudaParity.*:CudaBuild.*:CudaErrors.*:CudaParityHelpers.*:-CudaParity.EveryConfigMatchesTheCpu:CudaParity.RawCountersOfASmallConfig:CudaBuild.SimulatorWithoutGpuThrowsRuntimeFailure'

# ---- 6. kernel variant sweep, reference only ------------------------------------------
step "kernel variant sweep (capplan bench --cuda-sweep, reference)"
code=0
within 90 "$CAPPLAN" bench --backend cuda --cuda-sweep --trials $((2000000 / scale)) configs/openai-aws-2026.yaml \
  >"$LOGS/sweep.txt" 2>&1 || code=$?
if ((code == 0)); then
  record "kernel variant sweep" ok "12 variants (below)"
else
  tail -n 5 "$LOGS/sweep.txt"
  record "kernel variant sweep" "$( ((code == 124 || code == 125)) && echo CUT || echo FAIL)" "exit $code"
fi

# ---- 7. compute-sanitizer ----------------------------------------------------------
SANITIZER=$(command -v compute-sanitizer || true)
for candidate in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
  if [[ -z "$SANITIZER" && -x "$candidate" ]]; then SANITIZER=$candidate; fi
done
for tool in memcheck racecheck initcheck synccheck; do
  step "compute-sanitizer --tool $tool (CudaSanitizer.SmallRun)"
  if [[ -z "$SANITIZER" ]]; then
    record "compute-sanitizer $tool" FAIL "compute-sanitizer not found"
    continue
  fi
  log="$LOGS/sanitizer-$tool.txt"
  code=0
  within 60 "$SANITIZER" --tool "$tool" --error-exitcode 9 --print-limit 20 \
    "$TEST_CUDA" --gtest_filter='CudaSanitizer.SmallRun' --gtest_color=no >"$log" 2>&1 || code=$?
  summary=$(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|Device not supported' "$log" | tail -n 1 || true)
  if ((code == 124 || code == 125)); then
    record "compute-sanitizer $tool" CUT "out of time"
  elif ((code != 0)); then
    grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|Invalid|Hazard|Uninitialized|Barrier|error' "$log" | head -n 10 || true
    record "compute-sanitizer $tool" FAIL "exit $code: $summary (runtime $runtime)"
  elif grep -q '^\[  SKIPPED \]' "$log"; then
    record "compute-sanitizer $tool" SKIPPED "the test skipped (no GPU?)"
    FAILED=$((FAILED + 1))
  else
    record "compute-sanitizer $tool" ok "$summary"
  fi
done

# ---- 8. the CPU tests, if time is left -----------------------------------------------
step "ctest (every test but test_cuda), if time is left"
if (($(left) > 60)); then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  code=0
  within $(($(left) - 10)) ctest --test-dir "$BUILD" -j "$(nproc)" -E '^Cuda' --timeout 120 >"$LOGS/ctest.txt" 2>&1 ||
    code=$?
  detail=$(grep -E 'tests passed' "$LOGS/ctest.txt" | tail -n 1 || true)
  if ((code == 0)); then record "ctest (all but Cuda*)" ok "$detail"; else record "ctest (all but Cuda*)" FAIL "$detail"; fi
else
  record "ctest (all but Cuda*)" "not run" "less than a minute of the budget left"
fi

if [[ $FAILED != 0 ]]; then
  echo "$FAILED step(s) failed, were cut short or skipped"
  exit 1
fi
