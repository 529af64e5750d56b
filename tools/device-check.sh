#!/usr/bin/env bash
# The CUDA backend's check on a lent H100/H200 (issue 3), in one run:
#   1. build with CAPPLAN_ENABLE_CUDA=ON (sm_90), or use a build carried here;
#   2. ctest (every CPU test, and the GPU tests, which skip without a GPU);
#   3. the CPU/GPU parity test on every config (tests/test_cuda.cpp);
#   4. `capplan bench` for both backends (when bench has --backend) on the
#      reference scenario (monthly report), a daily-report variant of it and
#      configs/bench-large.yaml, a sweep of the kernel variants and block sizes
#      (--cuda-sweep), and `capplan run` of 10^7 trials end to end;
#   5. compute-sanitizer memcheck and racecheck on a small GPU run;
# then prints a short table last. Sized to finish well under 5 minutes on an
# H100/H200 machine with 16 cores (the build is about a minute of that).
#
# Usage (from anywhere; it runs in the repository root):
#   tools/device-check.sh                 # build (or use a prebuilt folder), check, time
#   tools/device-check.sh --build-only    # configure and build only, then bundle the
#                                         # shared libraries the binaries need into
#                                         # BUILD/lib and mark BUILD prebuilt
# The device machines have nvcc, CMake and ninja but maybe not this project's
# libraries (yaml-cpp, fmt, CLI11, nlohmann-json, Random123, GTest): then build
# here with --build-only and carry the build folder (run's `carry`), e.g.
#   tools/device-check.sh --build-only && <device run, carry build-device>: tools/device-check.sh
#
# Environment: CAPPLAN_DEVICE_BUILD (build folder, default build-device),
# OUT (where logs go, default BUILD/device-check), CAPPLAN_CHECK_QUICK=1
# (a tenth of the benchmark trials).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
BUILD=${CAPPLAN_DEVICE_BUILD:-build-device}
LOGS=${OUT:-$BUILD/device-check}
MODE=check
case "${1:-}" in
  --build-only) MODE=build ;;
  "") ;;
  *) echo "usage: $0 [--build-only]" >&2; exit 2 ;;
esac

START=$(date +%s)
ROWS=()      # "step|result|seconds|detail"
FAILED=0
step_start=0
step() {
  step_start=$(date +%s)
  echo
  echo "=== [$(date +%H:%M:%S), +$((step_start - START)) s] $*"
}
record() {  # record STEP RESULT DETAIL
  ROWS+=("$1|$2|$(($(date +%s) - step_start))|$3")
  if [[ "$2" == FAIL* ]]; then FAILED=$((FAILED + 1)); fi
}
print_table() {
  echo
  echo "=== device check summary ($(date -u +%Y-%m-%dT%H:%MZ), $((($(date +%s)) - START)) s in all) ==="
  printf '%-34s %-8s %7s  %s\n' "step" "result" "seconds" "detail"
  local row
  for row in "${ROWS[@]}"; do
    IFS='|' read -r a b c d <<<"$row"
    printf '%-34s %-8s %7s  %s\n' "$a" "$b" "$c" "$d"
  done
  if [[ -s "$LOGS/bench.txt" ]]; then
    echo
    echo "--- capplan bench (simulate and aggregate) ---"
    cat "$LOGS/bench.txt"
  fi
  if [[ -s "$LOGS/sweep.txt" ]]; then
    echo
    echo "--- kernel variants: b = block size, r = register cap (0 none), i/c = steps inlined/called ---"
    cat "$LOGS/sweep.txt"
  fi
}

# ---- 1. build ---------------------------------------------------------------
prebuilt=0
if [[ "$MODE" == check && -f "$BUILD/.prebuilt" && -f "$BUILD/CMakeCache.txt" ]]; then prebuilt=1; fi

if [[ $prebuilt == 0 ]]; then
  step "configure and build ($BUILD, CAPPLAN_ENABLE_CUDA=ON, sm_90)"
  rm -f "$BUILD/.prebuilt"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAPPLAN_ENABLE_CUDA=ON \
    -DCAPPLAN_ENABLE_MPI=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DCAPPLAN_BUILD_TESTS=ON >/dev/null
  build_start=$(date +%s)
  mkdir -p "$LOGS"
  if ! ninja -C "$BUILD" >"$LOGS/build.txt" 2>&1; then
    grep -E 'error|FAILED' "$LOGS/build.txt" | head -n 20 || true
    record "build (cmake + ninja)" FAIL "log: $LOGS/build.txt"
    print_table
    exit 1
  fi
  record "build (cmake + ninja)" ok "$(nproc) cores, $(($(date +%s) - build_start)) s of ninja"
  if [[ "$MODE" == build ]]; then
    step "bundle shared libraries into $BUILD/lib"
    mkdir -p "$BUILD/lib"
    for binary in "$BUILD/capplan" "$BUILD"/test_*; do
      [[ -x "$binary" && -f "$binary" ]] || continue
      ldd "$binary" | awk '/=> \// {print $3}'
    done | sort -u | { grep -E 'libyaml-cpp|libfmt|libcrypto|libgomp|libgtest|libgmock|libssl' || true; } \
      | while read -r lib; do cp -L "$lib" "$BUILD/lib/"; done
    # Objects and archives are not needed to run: keep the folder small enough to carry.
    find "$BUILD" -name '*.o' -delete
    find "$BUILD" -maxdepth 1 -name '*.a' -delete
    # Compiler-identification leftovers (11 MB with CUDA): the carried folder must stay under 64 MiB.
    rm -rf "$BUILD/CMakeFiles/CheckCUDA" "$BUILD"/CMakeFiles/[0-9]*.[0-9]*.[0-9]*/CompilerId*
    touch "$BUILD/.prebuilt"
    record "bundle" ok "$(ls "$BUILD/lib" | tr '\n' ' ')$(du -sh "$BUILD" | cut -f1) in all"
    print_table
    echo "carry '$BUILD' to the device machine and run tools/device-check.sh there"
    exit 0
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
  export CAPPLAN_SOURCE_DIR="$ROOT"
  record "prebuilt build" ok "$detail"
fi
mkdir -p "$LOGS"
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
if [[ -d "$BUILD/lib" ]]; then export LD_LIBRARY_PATH="$ROOT/$BUILD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
# The MPI tests (if built) start mpiexec, which refuses root unless told.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

step "device"
gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -n 1 || true)
echo "GPU: ${gpu:-none found by nvidia-smi}"
echo "nvcc: $(nvcc --version 2>/dev/null | tail -n 1 || echo none)"
record "device" "$([[ -n "$gpu" ]] && echo ok || echo FAIL)" "${gpu:-no GPU}"

# ---- 2. ctest (every test but test_cuda, which runs next with its output) -----
step "ctest"
if ctest --test-dir "$BUILD" -j "$(nproc)" -E '^Cuda' --timeout 300 >"$LOGS/ctest.txt" 2>&1; then
  record "ctest (all but Cuda*)" ok "$(grep -E 'tests passed' "$LOGS/ctest.txt" | tail -n 1)"
else
  grep -E 'tests passed|\(Failed\)|\(Timeout\)|Not Run' "$LOGS/ctest.txt" | tail -n 20 || true
  record "ctest (all but Cuda*)" FAIL "$(grep -E 'tests passed' "$LOGS/ctest.txt" | tail -n 1) (log: $LOGS/ctest.txt)"
fi

# ---- 3. GPU tests: parity on every config, batch/block independence ----------
step "test_cuda (GPU tests, CPU/GPU parity on every config)"
if "$BUILD/test_cuda" --gtest_color=no >"$LOGS/test_cuda.txt" 2>&1; then
  skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9][0-9]*\) tests\{0,1\}, listed below:$/\1/p' "$LOGS/test_cuda.txt")
  skipped=${skipped:-0}
  result=ok
  if [[ "$skipped" != 0 ]]; then result=SKIPPED; FAILED=$((FAILED + 1)); fi
  record "test_cuda (parity)" "$result" "$(grep -E '^\[  PASSED  \]' "$LOGS/test_cuda.txt" | head -n 1) $skipped skipped"
else
  grep -E '^\[  FAILED  \]|Failure|differs|Skipped|no CUDA GPU' "$LOGS/test_cuda.txt" | head -n 20 || true
  record "test_cuda (parity)" FAIL "log: $LOGS/test_cuda.txt"
fi
grep -E 'trials in flight|CUDA device 0 unavailable' "$LOGS/test_cuda.txt" | head -n 1 || true

# ---- 4. benchmarks ----------------------------------------------------------
step "benchmarks"
CAPPLAN="$BUILD/capplan"
scale=1
if [[ "${CAPPLAN_CHECK_QUICK:-0}" == 1 ]]; then scale=10; fi
daily="$SCRATCH/openai-aws-2026-daily.yaml"
sed -e 's/^name: openai-aws-2026$/name: openai-aws-2026-daily/' -e 's/^  every: month.*$/  every: day/' \
  configs/openai-aws-2026.yaml >"$daily"
: >"$LOGS/bench.txt"
bench() {  # bench CPU_TRIALS GPU_TRIALS SPEC
  local out
  if out=$(timeout 180 "$CAPPLAN" bench --backend auto --threads 0 --trials "$1" --gpu-trials "$2" "$3" 2>&1); then
    if [[ ! -s "$LOGS/bench.txt" ]]; then echo "$out" | head -n 1 >>"$LOGS/bench.txt"; fi
    echo "$out" | tail -n +2 >>"$LOGS/bench.txt"
    echo "$out"
    if ! grep -q ' cuda b' <<<"$out"; then  # auto found no usable GPU
      echo "FAILED: no GPU row for $3 (the GPU was not usable)" >>"$LOGS/bench.txt"
      return 1
    fi
  else
    echo "$out" | tail -n 5
    echo "FAILED: capplan bench --backend auto --trials $1 --gpu-trials $2 $3" >>"$LOGS/bench.txt"
    return 1
  fi
}
if [[ ! -x "$CAPPLAN" ]]; then
  record "bench" FAIL "$CAPPLAN was not built"
elif "$CAPPLAN" bench --help 2>&1 | grep -q -- '--backend'; then
  ok=ok
  # One run per scenario: CPU rows on 1 and all threads, then the GPU row, so
  # the last column (GPU / one CPU thread) is measured in the same run.
  bench $((20000 / scale)) $((10000000 / scale)) configs/openai-aws-2026.yaml || ok=FAIL
  bench $((10000 / scale)) $((2000000 / scale)) "$daily" || ok=FAIL
  bench $((400 / scale)) $((200000 / scale)) configs/bench-large.yaml || ok=FAIL
  record "capplan bench (cpu, cuda)" "$ok" "reference monthly, daily, bench-large"

  # Every kernel variant (register cap x inline/called steps) at block sizes
  # 64/128/256, on fewer trials: picks the defaults of backends/cuda_backend.cu.
  step "kernel variant sweep (capplan bench --cuda-sweep)"
  if timeout 300 "$CAPPLAN" bench --backend cuda --cuda-sweep --trials $((2000000 / scale)) configs/openai-aws-2026.yaml \
    >"$LOGS/sweep.txt" 2>&1 &&
    timeout 200 "$CAPPLAN" bench --backend cuda --cuda-sweep --trials $((500000 / scale)) "$daily" 2>&1 |
    tail -n +2 >>"$LOGS/sweep.txt" &&
    timeout 300 "$CAPPLAN" bench --backend cuda --cuda-sweep --trials $((50000 / scale)) configs/bench-large.yaml 2>&1 |
    tail -n +2 >>"$LOGS/sweep.txt"; then
    record "kernel variant sweep" ok "12 variants x 3 scenarios (below)"
  else
    tail -n 5 "$LOGS/sweep.txt"
    record "kernel variant sweep" FAIL "log: $LOGS/sweep.txt"
  fi
  cat "$LOGS/sweep.txt"
else
  bench_out=$(timeout 120 "$CAPPLAN" bench --trials $((20000 / scale)) configs/openai-aws-2026.yaml 2>&1 || true)
  echo "$bench_out" >"$LOGS/bench.txt"
  echo "$bench_out"
  record "capplan bench (cpu only)" "FAIL" "bench has no --backend yet: GPU not benchmarked"
fi

step "capplan run of 10^7 trials end to end (reference, cuda)"
if [[ -x "$CAPPLAN" ]] && "$CAPPLAN" run --help 2>&1 | grep -q -- '--backend'; then
  t0=$(date +%s.%N)
  rm -rf "$SCRATCH/run-cuda"
  if timeout 120 "$CAPPLAN" run configs/openai-aws-2026.yaml --backend cuda --trials $((10000000 / scale)) \
    --out "$SCRATCH/run-cuda" >"$LOGS/run-cuda.txt" 2>&1; then
    wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    device=$(grep -o '"device": *"[^"]*"' "$SCRATCH/run-cuda/run.json" | head -n 1 || true)
    record "capplan run 1e7 trials (cuda)" ok "wall ${wall} s (target < 3 s); $device"
  else
    tail -n 5 "$LOGS/run-cuda.txt"
    record "capplan run 1e7 trials (cuda)" FAIL "log: $LOGS/run-cuda.txt"
  fi
else
  record "capplan run 1e7 trials (cuda)" FAIL "run has no --backend yet"
fi

# ---- 5. compute-sanitizer ---------------------------------------------------
SANITIZER=$(command -v compute-sanitizer || true)
for candidate in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
  if [[ -z "$SANITIZER" && -x "$candidate" ]]; then SANITIZER=$candidate; fi
done
for tool in memcheck racecheck; do
  step "compute-sanitizer --tool $tool (CudaSanitizer.SmallRun)"
  if [[ -z "$SANITIZER" ]]; then
    record "compute-sanitizer $tool" FAIL "compute-sanitizer not found"
    continue
  fi
  if timeout 240 "$SANITIZER" --tool "$tool" --error-exitcode 9 --print-limit 20 \
    "$BUILD/test_cuda" --gtest_filter='CudaSanitizer.SmallRun' --gtest_color=no >"$LOGS/sanitizer-$tool.txt" 2>&1; then
    if grep -q '^\[  SKIPPED \]' "$LOGS/sanitizer-$tool.txt"; then
      record "compute-sanitizer $tool" SKIPPED "the test skipped (no GPU?)"
      FAILED=$((FAILED + 1))
    else
      record "compute-sanitizer $tool" ok "$(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$LOGS/sanitizer-$tool.txt" | tail -n 1)"
    fi
  else
    grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|Invalid|Hazard|error' "$LOGS/sanitizer-$tool.txt" | head -n 10 || true
    record "compute-sanitizer $tool" FAIL "log: $LOGS/sanitizer-$tool.txt"
  fi
done

print_table | tee "$LOGS/summary.txt"
if [[ $FAILED != 0 ]]; then
  echo "$FAILED step(s) failed or skipped"
  exit 1
fi
