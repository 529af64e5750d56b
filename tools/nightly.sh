#!/usr/bin/env bash
# Nightly regression check: for every configs/*.yaml that has a baseline
# configs/baselines/<name>.json (<name> = the spec's `name:`), runs
#   capplan check SPEC --baseline BASELINE --junit ...
# and merges the results into one JUnit XML file.
#
# Usage: tools/nightly.sh [JUNIT_FILE] [-- CHECK_OPTIONS...]
#        tools/nightly.sh --refresh [-- BASELINE_OPTIONS...]
#   JUNIT_FILE     merged JUnit XML (default nightly-junit.xml)
#   CHECK_OPTIONS  passed to every `capplan check`, e.g. -- --sigmas 5
#   --refresh      instead re-make every existing baseline with `capplan baseline`
#                  (after an intended change of a spec or of the model)
#   CAPPLAN_LEDGER when set, every check is recorded in that forecast ledger
#                  (capplan reads it; `capplan history` shows the trend: docs/ledger.md)
# The capplan binary: $CAPPLAN, else build/default/capplan, else capplan on PATH.
#
# Exit status: 0 every cell of every spec within its limit (or no baselines),
# 1 a regression was found, 2 a check could not run (bad spec or baseline,
# capplan missing or crashed); 2 wins over 1. See docs/nightly.md.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
junit="nightly-junit.xml"
refresh=0
usage="usage: tools/nightly.sh [JUNIT_FILE] [-- CHECK_OPTIONS...] | --refresh [-- BASELINE_OPTIONS...]"
if [[ $# -gt 0 && ( "$1" == "-h" || "$1" == "--help" ) ]]; then
  echo "$usage"
  exit 0
fi
if [[ $# -gt 0 && "$1" == "-"* && "$1" != "--" && "$1" != "--refresh" ]]; then
  echo "nightly: unknown option '$1'" >&2
  echo "$usage" >&2
  exit 2
fi
if [[ $# -gt 0 && "$1" == "--refresh" ]]; then
  refresh=1
  shift
elif [[ $# -gt 0 && "$1" != "--" ]]; then
  junit="$1"
  shift
fi
if [[ $# -gt 0 ]]; then
  if [[ "$1" != "--" ]]; then
    echo "$usage" >&2
    exit 2
  fi
  shift
fi
check_options=("$@")

if [[ -n "${CAPPLAN:-}" ]]; then
  capplan="$CAPPLAN"
elif [[ -x "$root/build/default/capplan" ]]; then
  capplan="$root/build/default/capplan"
else
  capplan="$(command -v capplan || true)"
fi
if [[ -z "$capplan" || ! -x "$capplan" ]]; then
  echo "nightly: no capplan binary (set CAPPLAN, build the default preset, or put capplan on PATH)" >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/capplan-nightly.XXXXXX")"
trap 'rm -rf "$work"' EXIT

xml_escape() {
  local s="$1"
  s="${s//&/&amp;}"
  s="${s//</&lt;}"
  s="${s//>/&gt;}"
  s="${s//\"/&quot;}"
  s="${s//\'/&apos;}"
  # Control characters other than tab and newline are not allowed in XML 1.0.
  printf '%s' "$s" | tr -d '\000-\010\013\014\016-\037'
}

# The spec's top-level `name:` (plain or quoted scalar), else the file's stem.
spec_name() {
  local name
  name="$(sed -n -E 's/^name:[[:space:]]*//p' "$1" | head -n 1 | sed -E 's/[[:space:]]+#.*$//; s/[[:space:]]+$//')"
  name="${name#\"}"; name="${name%\"}"; name="${name#\'}"; name="${name%\'}"
  if [[ -z "$name" ]]; then
    name="$(basename "$1" .yaml)"
  fi
  printf '%s' "$name"
}

if [[ $refresh -eq 1 ]]; then
  made=0
  failed=0
  shopt -s nullglob
  for spec in "$root"/configs/*.yaml; do
    baseline="$root/configs/baselines/$(spec_name "$spec").json"
    [[ -f "$baseline" ]] || continue
    if "$capplan" baseline "$spec" -o "$baseline" --quiet "${check_options[@]}"; then
      made=$((made + 1))
    else
      failed=$((failed + 1))
    fi
  done
  if [[ $failed -gt 0 ]]; then
    echo "nightly: refreshed $made baselines, $failed could not be made" >&2
    exit 2
  fi
  echo "nightly: refreshed $made baselines; review and commit configs/baselines/"
  exit 0
fi

suites="$work/suites.xml"
: >"$suites"
total_tests=0
total_failures=0
total_errors=0
checked=0
passed=0
regressed=0
broken=0
status=0

shopt -s nullglob
for spec in "$root"/configs/*.yaml; do
  name="$(spec_name "$spec")"
  baseline="$root/configs/baselines/$name.json"
  [[ -f "$baseline" ]] || continue
  checked=$((checked + 1))
  report="$work/$checked.xml"
  output="$work/$checked.out"
  start=$SECONDS
  "$capplan" check "$spec" --baseline "$baseline" --junit "$report" "${check_options[@]}" >"$output" 2>"$output.err"
  code=$?
  seconds=$((SECONDS - start))
  relative="${spec#"$root"/}"
  if [[ ( $code -eq 0 || $code -eq 1 ) && -s "$report" ]]; then
    # capplan writes one <testsuite> per file, between the <testsuites> lines.
    awk '/^<testsuites[ >]/ { inside = 1; next } /^<\/testsuites>/ { inside = 0 } inside' "$report" >>"$suites"
    tests=$(grep -m 1 -o '<testsuite [^>]*' "$report" | grep -o ' tests="[0-9]*"' | grep -o '[0-9]\+')
    failures=$(grep -m 1 -o '<testsuite [^>]*' "$report" | grep -o ' failures="[0-9]*"' | grep -o '[0-9]\+')
    total_tests=$((total_tests + ${tests:-0}))
    total_failures=$((total_failures + ${failures:-0}))
    headline="$(head -n 1 "$output")"
    if [[ $code -eq 0 ]]; then
      passed=$((passed + 1))
      echo "PASS  $relative (${seconds}s)  $headline"
    else
      regressed=$((regressed + 1))
      [[ $status -eq 0 ]] && status=1
      echo "FAIL  $relative (${seconds}s)  $headline"
      tail -n +2 "$output" | sed 's/^/      /'
    fi
  else
    broken=$((broken + 1))
    status=2
    total_tests=$((total_tests + 1))
    total_errors=$((total_errors + 1))
    cat "$output.err" >>"$output"
    echo "ERROR $relative (${seconds}s)  capplan check exited $code"
    sed 's/^/      /' "$output"
    {
      printf '  <testsuite name="%s" tests="1" failures="0" errors="1" skipped="0">\n' "$(xml_escape "$name")"
      printf '    <testcase classname="%s.check" name="capplan check">\n' "$(xml_escape "$name")"
      printf '      <error type="check-failed" message="capplan check exited %s">%s</error>\n' "$code" \
        "$(xml_escape "$(tail -c 8000 "$output")")"
      printf '    </testcase>\n  </testsuite>\n'
    } >>"$suites"
  fi
done

{
  printf '<?xml version="1.0" encoding="UTF-8"?>\n'
  printf '<testsuites name="capplan nightly" tests="%d" failures="%d" errors="%d">\n' \
    "$total_tests" "$total_failures" "$total_errors"
  cat "$suites"
  printf '</testsuites>\n'
} >"$work/merged.xml"
mkdir -p "$(dirname "$junit")"
mv "$work/merged.xml" "$junit"

if [[ $checked -eq 0 ]]; then
  echo "nightly: no baselines in configs/baselines/ for configs/*.yaml; nothing checked."
  echo "         Make one with: capplan baseline configs/NAME.yaml -o configs/baselines/NAME.json"
else
  echo "nightly: $checked specs checked: $passed passed, $regressed regressed, $broken could not be checked" \
    "($total_tests cells, $total_failures moved); JUnit: $junit"
fi
exit $status
