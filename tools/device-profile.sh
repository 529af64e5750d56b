#!/usr/bin/env bash
# What bounds the CUDA kernel's speed, measured on a lent H100/H200 in one run
# of a few minutes (after tools/device-check.sh --build-only here; carry
# build-device):
#   1. ablations: `capplan bench --backend cuda` of the reference and of
#      configs/bench-large.yaml as they are and with parts of the model
#      switched off (no daily failure draws, no burn-in rejections, both; the
#      reference with a daily report), so the differences give the time of
#      each part;
#   2. Nsight Compute (--set full, one launch of simulate_and_aggregate) on
#      the reference and on configs/bench-large.yaml: occupancy, issue
#      efficiency, threads per warp instruction, memory throughput, stall
#      reasons, and per source line (the build has -lineinfo) the instructions
#      executed and the warp stall samples.
# What comes back ($OUT): profile-summary.txt (the ablation table and the
# headline metrics) and profile.tar.gz (every ncu details page, the per-line
# CSVs and the .ncu-rep files).
#
# Environment: CAPPLAN_DEVICE_BUILD (default build-device), OUT (default
# BUILD/profile), CAPPLAN_PROFILE_BUDGET_S (default 300), CAPPLAN_PROFILE_NCU=0
# (the ablations only) or =reference (no ncu run of bench-large).
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
BUILD=${CAPPLAN_DEVICE_BUILD:-build-device}
RESULTS=${OUT:-$BUILD/profile}
BUDGET=${CAPPLAN_PROFILE_BUDGET_S:-300}
DEADLINE=$(($(date +%s) + BUDGET))
mkdir -p "$RESULTS"
LOGS=$(mktemp -d)
SCRATCH=$(mktemp -d)
CAPPLAN="$ROOT/$BUILD/capplan"
if [[ -d "$BUILD/lib" ]]; then export LD_LIBRARY_PATH="$ROOT/$BUILD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
NCU=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu 2>/dev/null | head -n 1 || true)

# left, within SECONDS CMD...: the budget (DEADLINE) every step draws from.
source tools/time-budget.sh
finish() {
  {
    echo "=== device profile ($(date -u +%Y-%m-%dT%H:%MZ)) ==="
    nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader 2>&1 || true
    echo "ncu: ${NCU:-not found}"
    echo
    echo "--- ablations (capplan bench --backend cuda) ---"
    cat "$LOGS/ablations.txt" 2>/dev/null
    for name in reference bench-large; do
      [[ -f "$LOGS/$name-details.txt" ]] || continue
      echo
      echo "--- $name: headline metrics (ncu --set full, one launch) ---"
      grep -E 'Duration|Elapsed Cycles|SM Frequency|Memory Throughput|DRAM Throughput|Compute \(SM\) Throughput|Achieved Occupancy|Theoretical Occupancy|Registers Per Thread|Issue Slots Busy|Issued Ipc Active|No Eligible|Active Warps Per Scheduler|Eligible Warps Per Scheduler|Warp Cycles Per Issued|Avg. Active Threads Per Warp|Avg. Not Predicated Off|Executed Instructions  |L1/TEX Hit Rate|L2 Hit Rate|Local|Branch Efficiency|Divergent' \
        "$LOGS/$name-details.txt" | head -n 40
    done
  } >"$RESULTS/profile-summary.txt" 2>&1
  cat "$RESULTS/profile-summary.txt"
  tar -C "$LOGS" -czf "$RESULTS/profile.tar.gz" . 2>/dev/null || true
  rm -rf "$SCRATCH" "$LOGS"
}
trap finish EXIT

# ---- 1. ablations ----------------------------------------------------------------
variant() {  # variant BASE NAME SED-SCRIPT: a copy of spec BASE with its name and some lines changed
  local base=$1 name=$2 original
  original=$(sed -n 's/^name: //p' "$base")
  sed -e "s/^name: $original\$/name: $name/" -e "$3" "$base" >"$SCRATCH/$name.yaml"
  echo "$SCRATCH/$name.yaml"
}
no_failures='s/^  failures_per_accelerator_day: .*$/  failures_per_accelerator_day: 0/'
no_rejects='s/^    acceptance: {beta: .*$/    acceptance: 1/'
: >"$LOGS/ablations.txt"
ablate() {  # ablate BASE TRIALS: BASE as it is, without failure draws, without burn-in rejections, neither
  local base=$1 trials=$2 short spec
  short=$(sed -n 's/^name: //p' "$base")
  for spec in "$base" "$(variant "$base" "$short-no-failures" "$no_failures")" \
    "$(variant "$base" "$short-no-rejects" "$no_rejects")" "$(variant "$base" "$short-neither" "$no_failures;$no_rejects")"; do
    within 40 "$CAPPLAN" bench --backend cuda --trials "$trials" "$spec" >"$SCRATCH/bench.txt" 2>&1 || true
    if [[ ! -s "$LOGS/ablations.txt" ]]; then head -n 1 "$SCRATCH/bench.txt" >>"$LOGS/ablations.txt"; fi
    tail -n +2 "$SCRATCH/bench.txt" >>"$LOGS/ablations.txt"
  done
}
reference=configs/openai-aws-2026.yaml
ablate "$reference" 4000000
within 40 "$CAPPLAN" bench --backend cuda --trials 4000000 "$(variant "$reference" daily 's/^  every: month.*$/  every: day/')" \
  2>&1 | tail -n +2 >>"$LOGS/ablations.txt"
ablate configs/bench-large.yaml 100000
cp "$SCRATCH"/*.yaml "$LOGS/" 2>/dev/null

# ---- 2. Nsight Compute -------------------------------------------------------------
if [[ "${CAPPLAN_PROFILE_NCU:-1}" == 0 ]]; then exit 0; fi
if [[ -z "$NCU" ]]; then
  echo "ncu not found: no kernel profile" >>"$LOGS/ablations.txt"
  exit 1
fi
profile() {  # profile NAME TRIALS SPEC: one launch of the kernel under ncu --set full
  local name=$1 trials=$2 spec=$3
  within 150 "$NCU" --clock-control none -k regex:simulate_and_aggregate --launch-count 1 --set full \
    --import-source yes -f -o "$LOGS/$name" "$CAPPLAN" bench --backend cuda --trials "$trials" "$spec" \
    >"$LOGS/$name-ncu.txt" 2>&1 || echo "ncu on $name: exit $?" >>"$LOGS/$name-ncu.txt"
  [[ -f "$LOGS/$name.ncu-rep" ]] || return 0
  "$NCU" -i "$LOGS/$name.ncu-rep" --page details --print-units base --print-details all \
    >"$LOGS/$name-details.txt" 2>&1 || true
  "$NCU" -i "$LOGS/$name.ncu-rep" --page source --csv --print-source cuda >"$LOGS/$name-source-cuda.csv" 2>&1 || true
  "$NCU" -i "$LOGS/$name.ncu-rep" --page source --csv --print-source sass >"$LOGS/$name-source-sass.csv" 2>&1 || true
}
# One full wave of the persistent grid at least (about 34,000 trials in flight).
profile reference 400000 "$reference"
if [[ "${CAPPLAN_PROFILE_NCU:-1}" != reference ]]; then profile bench-large 40000 configs/bench-large.yaml; fi
