#!/usr/bin/env bash
# Does any input file take more than 10 s or 1 GiB of peak memory to read?
# Writes hostile spec files up to the 8 MiB size cap (huge lists, long
# scalars, deep nesting, alias bombs, hundreds of thousands of errors, models
# far over the memory budgets, degenerate distributions) and baseline files
# up to the 16 MiB cap; runs `capplan validate` on each spec and `capplan
# check configs/minimal.yaml --baseline` on each baseline under GNU time; and
# prints a Markdown table of exit code, seconds and peak memory. docs/reliability.md ("Bounded work for
# every input") holds the last table.
#
# usage: tools/validate-bounds.sh [--capplan PATH] [--work DIR] [--help]
#   --capplan  the binary to measure (default build/dev/capplan, else build/ci/capplan)
#   --work     folder for the generated inputs (default: a temporary folder, removed)
#
# Exit status: 0 when every input was answered (exit 0 or 2) within 10 s and
# 1 GiB; 1 when one was not (a crash, a hang, an internal error, a blow-up);
# 2 on a usage error. Needs GNU time (/usr/bin/time, Debian's `time`) and python3.
set -euo pipefail

readonly kSecondsLimit=10
readonly kPeakKibLimit=$((1024 * 1024))  # 1 GiB
readonly kKillSeconds=60                 # a hang is stopped after this

root=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
capplan=""
work=""
while (($#)); do
  case "$1" in
    --capplan) capplan="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --help | -h) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "validate-bounds: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -z "$capplan" ]]; then
  for candidate in "$root/build/dev/capplan" "$root/build/ci/capplan"; do
    [[ -x "$candidate" ]] && capplan="$candidate" && break
  done
fi
[[ -x "$capplan" ]] || { echo "validate-bounds: no capplan binary (build it, or give --capplan)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "validate-bounds: needs GNU time (apt-get install time)" >&2; exit 2; }
if [[ -z "$work" ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

# The inputs, one file per case: NAME.yaml, and NAME.txt saying what it is.
python3 - "$work" "$root/configs/minimal.yaml" <<'PY'
import pathlib, sys

out = pathlib.Path(sys.argv[1])
minimal = pathlib.Path(sys.argv[2]).read_text()
cap = 8 << 20             # the spec size cap, kMaxSpecFileBytes [bytes]
room = cap - len(minimal) - 64

def write(name, text, what, suffix="yaml"):
    data = text.encode() if isinstance(text, str) else text
    (out / f"{name}.{suffix}").write_bytes(data)
    (out / f"{name}.txt").write_text(f"{what} ({len(data) / 2**20:.1f} MiB)")

def fill(unit, budget):
    return unit * (budget // len(unit))

write("over-size-cap", minimal + "#" * (cap + 1 - len(minimal)), "one byte over the size cap")
write("flow-list", minimal + "extra: [" + fill("0,", room) + "0]\n", "a flow list under an unknown key")
write("block-list", minimal + "extra:\n" + fill("- 0\n", room), "a block list under an unknown key")
write("list-below-node-limit", minimal + "extra: [" + "0," * 495_000 + "0]\n",
      "495,000 values (below the 500,000-value limit) under an unknown key")
write("long-values-below-node-limit", minimal + "extra: [" + ",".join(["a" * 15] * 495_000) + "]\n",
      "495,000 values of 15 characters under an unknown key")
write("many-long-values", minimal + "extra: [" + fill("a" * 1000 + ",", room) + "0]\n",
      "values of 1,000 characters up to the size cap")
write("long-scalar", minimal.replace("name: minimal", "name: " + "a" * room), "a name one scalar long")
write("long-key", minimal + "a" * room + ": 1\n", "an unknown key one scalar long")
write("flow-nesting", minimal + "extra: " + "[" * room + "\n", "[ nested to the size cap")
write("block-seq-nesting", minimal + "extra:\n" + fill("- ", room) + "0\n", "block sequences nested on one line")
depth = 4_000             # indentation d costs d^2/2 bytes: about 7.7 MiB
write("block-map-nesting", minimal + "extra:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(depth)),
      f"block maps nested {depth:,} levels by indentation")
bomb = ["  a0: &a0 [" + ",".join(["0"] * 10) + "]"]
bomb += [f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
write("alias-bomb-unknown-key", minimal + "extra:\n" + "\n".join(bomb) + "\n", "10^10 values by nested aliases")
write("alias-bomb-quantiles", minimal + "anchors_x:\n" + "\n".join(bomb) + "\nreport: {quantiles: *a9}\n",
      "10^10 values by nested aliases where a quantile list belongs")
tranche = "  t{n}: {{system: gb200-nvl72, site: site-a, units: 1, delivery: {{planned: 2026-02-01}}}}\n"
head = minimal.split("tranches:")[0]
many = head + "tranches:\n" + "".join(tranche.format(n=n) for n in range(40_000))
write("many-tranches", many, "40,000 tranches (near the value limit)")
write("many-errors", head + "tranches:\n" + "".join(f"  t{n}: {{}}\n" for n in range(240_000)),
      "240,000 tranches, each missing every required key")
write("alias-tranches", head + "t: &t {system: gb200-nvl72, site: site-a, units: 1, delivery: {planned: 2026-02-01}}\n"
      + "tranches:\n" + "".join(f"  t{n}: *t\n" for n in range(240_000)), "240,000 tranches sharing one aliased map")
century = minimal.replace("horizon: {start: 2026-01-01, end: 2026-06-30}", "horizon: {start: 2026-01-01, end: 2125-12-31}")
century = century.split("tranches:")[0] + "report: {every: day, by: [site, system, largest-site]}\ntranches:\n"
write("century-daily-3000-tranches", century + "".join(tranche.format(n=n) for n in range(3000)),
      "3,000 tranches, a 100-year horizon, a daily report with breakdowns")
sites = head.split("sites:")[0] + "sites:\n" + "".join(f"  s{n}: {{install_per_day: 5}}\n" for n in range(5_000))
sites = sites.replace("horizon: {start: 2026-01-01, end: 2026-06-30}", "horizon: {start: 2026-01-01, end: 2125-12-31}")
write("century-5000-sites", sites + "tranches:\n" + "".join(
    tranche.format(n=n).replace("site-a", f"s{n}") for n in range(5_000)), "5,000 sites over 100 years")
write("beta-tiny-sd", minimal.replace("units: 100", "units: 100\n    acceptance: {beta: {mean: 0.5, sd: 1e-9}}"),
      "a beta with sd 1e-9")
write("beta-at-limit", minimal.replace("units: 100", "units: 100\n    acceptance: {beta: {mean: 0.5, sd: 5.0e-5}}"),
      "a beta at its concentration limit (alpha + beta = 1e8)")
write("slip-tiny-sd", minimal.replace("slip_days: {triangular: [0, 14, 42]}", "slip_days: {normal: {mean: 10, sd: 1e-12}}"),
      "a normal slip with sd 1e-12")
write("binary-noise", bytes((n * 2654435761 >> 13) & 0xFF for n in range(cap - 1)), "pseudo-random bytes")
write("comment", minimal + "#" + fill("a", room) + "\n", "one comment up to the size cap")
write("block-scalar", minimal.replace("name: minimal", "name: |\n" + fill("  " + "a" * 60 + "\n", room)),
      "a block scalar up to the size cap")

baseline_cap = 16 << 20   # kMaxBaselineFileBytes [bytes]
write("baseline-over-size-cap", " " * (baseline_cap + 1), "one byte over the baseline size cap", "json")
write("baseline-numbers", '{"x": [' + "0," * ((baseline_cap - 16) // 2) + "0]}", "a baseline of one-digit numbers", "json")
write("baseline-objects", '{"x": [' + '{"a":0},' * ((baseline_cap - 16) // 8) + "0]}", "a baseline of small objects",
      "json")
write("baseline-nesting", "[" * baseline_cap, "a baseline nested to the size cap", "json")
PY

printf '| input | size | exit | answer | seconds | peak MiB |\n|---|---|---|---|---:|---:|\n'
failed=0
for input in "$work"/*.yaml "$work"/*.json; do
  name=$(basename "${input%.*}")
  command=(validate "$input")
  [[ "$input" == *.json ]] && command=(check "$root/configs/minimal.yaml" --baseline "$input")
  rc=0
  /usr/bin/time -f '%e %M' -o "$work/$name.time" timeout "$kKillSeconds" "$capplan" "${command[@]}" \
    >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  # GNU time writes "Command exited with non-zero status N" first, then the figures.
  read -r seconds peak_kib < <(tail -n 1 "$work/$name.time") || { seconds=$kKillSeconds; peak_kib=0; }
  what=$(cat "$work/$name.txt")
  size=${what##* (}
  # The answer: the first error's rule, shortened (a valid spec has none).
  answer=$(head -n 1 "$work/$name.err" | sed -E "s|$work/||g; s/^.*error: //; s/^[^ ]*: //" | cut -c 1-70 | tr -d '|')
  ((rc == 0)) && answer="valid"
  printf '| %s: %s | %s | %d | %s | %.2f | %d |\n' "$name" "${what% (*}" "${size%)}" "$rc" "$answer" "$seconds" \
    $((peak_kib / 1024))
  if ((rc != 0 && rc != 2)) || awk -v s="$seconds" -v l="$kSecondsLimit" 'BEGIN { exit !(s > l) }' ||
    ((peak_kib > kPeakKibLimit)); then
    echo "validate-bounds: $name over the bounds or not answered (exit $rc); first lines of its stderr:" >&2
    head -c 600 "$work/$name.err" >&2
    failed=1
  fi
done
exit "$failed"
