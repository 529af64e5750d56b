#!/usr/bin/env bash
# How many plausible bugs does the test suite catch? Applies each mutant of
# tools/mutants.txt (a one-line change to one source file: an off-by-one, a
# wrong comparison, a dropped term, a wrong constant, a missing check), one at
# a time, to a scratch copy of this working tree (tracked files and untracked
# ones git does not ignore); rebuilds incrementally; runs the tests; records
# the mutant as caught (some test failed) or survived; and prints the score
# and the survivors. The developer's tree is never modified.
# docs/reliability.md, "The test suite catches real bugs", has the last score.
#
# usage: tools/mutation-check.sh [--only NAME[,NAME...]] [--no-hints] [--jobs N]
#                                [--list FILE] [--keep] [--work DIR] [--help]
#   --only      run only these mutants (names from the list)
#   --no-hints  run the whole suite for every mutant, not its expected test first
#   --jobs      parallel build jobs and tests (default 2)
#   --list      the mutant list (default tools/mutants.txt)
#   --keep      keep the scratch folder (its path is printed)
#   --work      use and keep this scratch folder: a second run there copies
#               only the files that changed and rebuilds incrementally
#
# Per mutant: the test named in its `test:` field is built and run first (its
# binary and capplan only: seconds, not a full rebuild); if it fails, that
# test caught the mutant. Otherwise everything is rebuilt and the whole suite
# runs (`ctest -j JOBS --stop-on-failure`, less the tests matched by
# kExcluded below), stopping at the first failing test. Before any mutant, the
# unmutated suite must pass, and every mutant's `from` text must occur exactly
# once in its file: otherwise the script refuses to run (exit 2).
#
# Exit status: 0 every mutant caught, 1 some survived, 2 the list or the
# unmutated build or suite is broken (or a mutant does not compile).
# Needs only what tools/install-deps.sh installs (cmake, ninja, g++, python3).
set -euo pipefail

# Tests left out of the per-mutant suite, slow and unable to catch any listed
# mutant: the bench-large config's seed-change run (94 s; generated tranches,
# no code path the other configs lack) and the MPI tests (about 3.5 min),
# which compare 1, 2 and 3 ranks with one process: a mutant outside the
# reduction (no listed mutant touches it) changes both sides alike.
readonly kExcluded='bench_large|^Mpi\.'
readonly kSuiteLimitSeconds=3600  # a mutant that makes the suite hang counts as caught after this

root=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
list="$root/tools/mutants.txt"
only=""
hints=1
jobs=2
keep=0
work=""

parse_options() {
  while (($#)); do
    case "$1" in
      --only) only="$2"; shift 2 ;;
      --no-hints) hints=0; shift ;;
      --jobs) jobs="$2"; shift 2 ;;
      --list) list="$2"; shift 2 ;;
      --keep) keep=1; shift ;;
      --work) work="$2"; keep=1; shift 2 ;;
      --help | -h) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
      *) echo "mutation-check: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
  done
}

# The list's parser, its checks and the edits, in Python (exact text, no quoting rules).
read -r -d '' kMutantsPy <<'PY' || true
import json, pathlib, sys

def parse(path):
    mutants, block = [], {}
    for number, line in enumerate(pathlib.Path(path).read_text().splitlines() + [""], 1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if block:
                mutants.append(block)
            block = {}
            continue
        key, sep, value = line.partition(":")
        if not sep or key not in ("name", "file", "from", "to", "test", "effect"):
            sys.exit(f"{path}:{number}: expected 'name|file|from|to|test|effect: value', found {line!r}")
        if key in block:
            sys.exit(f"{path}:{number}: '{key}' twice in one mutant")
        block[key] = value.strip()
        block.setdefault("line", number)
    return mutants

def check(path, source, only):
    mutants, problems, names = parse(path), [], set()
    for m in mutants:
        where = f"{path}:{m['line']}"
        missing = [k for k in ("name", "file", "from", "to", "effect") if not m.get(k)]
        if missing:
            problems.append(f"{where}: no {', '.join(missing)}")
            continue
        if m["name"] in names:
            problems.append(f"{where}: the name {m['name']} is used twice")
        names.add(m["name"])
        if m["from"] == m["to"]:
            problems.append(f"{where}: {m['name']} changes nothing")
        file = pathlib.Path(source, m["file"])
        count = file.read_text().count(m["from"]) if file.is_file() else -1
        if count != 1:
            found = "the file does not exist" if count < 0 else f"found {count} times"
            problems.append(f"{where}: {m['name']}: its 'from' text must occur exactly once in {m['file']}; {found}")
    wanted = [n for n in only.split(",") if n]
    problems += [f"--only: no mutant named {n}" for n in wanted if n not in names]
    if problems:
        sys.exit("\n".join(problems))
    for m in mutants:
        if not wanted or m["name"] in wanted:
            print("\t".join([m["name"], m["file"], m.get("test", "")]))

def field(path, name, key):
    print(next(m for m in parse(path) if m["name"] == name).get(key, ""))

def apply(path, source, name):
    m = next(m for m in parse(path) if m["name"] == name)
    file = pathlib.Path(source, m["file"])
    file.write_text(file.read_text().replace(m["from"], m["to"], 1))

def sync(root, source):
    """Makes `source` hold the files git lists in `root` (NUL-separated on
    stdin); only files whose content differs are written (a new time stamp:
    rebuilt), others keep theirs; files no longer listed are removed."""
    listed = {name for name in sys.stdin.read().split("\0") if name}
    for name in sorted(listed):
        origin, copy = pathlib.Path(root, name), pathlib.Path(source, name)
        if not origin.is_file():
            continue
        data = origin.read_bytes()
        if not copy.is_file() or copy.read_bytes() != data:
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(data)
            copy.chmod(origin.stat().st_mode & 0o777)
    for copy in pathlib.Path(source).rglob("*"):
        if copy.is_file() and copy.relative_to(source).as_posix() not in listed:
            copy.unlink()

def test_binary(show_only_json):
    tests = json.loads(pathlib.Path(show_only_json).read_text()).get("tests", [])
    print(pathlib.Path(tests[0]["command"][0]).name if tests else "")

command, args = sys.argv[1], sys.argv[2:]
{"check": check, "field": field, "apply": apply, "sync": sync, "test-binary": test_binary}[command](*args)
PY
mutants() { python3 -c "$kMutantsPy" "$@"; }

seconds_since() { echo $(($(date +%s) - $1)); }
duration() { printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)); }

# Builds `targets` (all when none) quietly; the log is kept for a failure.
build() {
  local targets=()
  if (($#)); then targets=(--target "$@"); fi
  nice cmake --build "$build" -j "$jobs" "${targets[@]}" >"$work/build.log" 2>&1
}

# Runs ctest with `args`; prints the first failing test, or nothing when all passed.
first_failure() {
  local failed="$build/Testing/Temporary/LastTestsFailed.log" rc=0
  rm -f "$failed"
  (cd "$build" && timeout "$kSuiteLimitSeconds" nice ctest -j "$jobs" --stop-on-failure "$@" >"$work/ctest.log" 2>&1) || rc=$?
  if ((rc == 124)); then
    echo "(the suite ran over ${kSuiteLimitSeconds} s)"
  elif [[ -s $failed ]]; then
    head -n 1 "$failed" | cut -d: -f2-
  elif ((rc != 0)); then
    echo "(ctest failed: see $work/ctest.log)"
  fi
}

# The ctest pattern of one test name: every character but letters, digits and
# '_' matches itself (and any other).
test_pattern() { echo "^${1//[^A-Za-z0-9_]/.}\$"; }

# The test binary that holds test `name`, or nothing.
binary_of() {
  (cd "$build" && ctest -R "$(test_pattern "$1")" --show-only=json-v1 >"$work/show.json" 2>/dev/null) || true
  mutants test-binary "$work/show.json"
}

# The expected test of a mutant: its binary is built (with capplan, which
# many tests run) and the test run alone. Returns 3 if the build fails.
hinted_failure() {
  build "$(binary_of "$1")" capplan || return 3
  first_failure -R "$(test_pattern "$1")"
}

# The scratch folder: a copy of the working tree, the list as it was at the
# start, and an unmutated build whose suite passes. Sets work, src and build.
prepare() {
  if [[ -z $work ]]; then work=$(mktemp -d "${TMPDIR:-/tmp}/capplan-mutants.XXXXXX"); fi
  mkdir -p "$work"
  work=$(cd "$work" && pwd)
  if ((keep)); then
    echo "mutation-check: scratch folder $work (kept)"
  else
    trap 'rm -rf "$work"' EXIT
  fi
  src="$work/src"
  build="$work/build"
  mkdir -p "$src" "$work/original"
  cp "$list" "$work/mutants.txt"
  list="$work/mutants.txt"
  git -C "$root" ls-files -z --cached --others --exclude-standard | mutants sync "$root" "$src"

  local generator=() phase failure
  if command -v ninja >/dev/null; then generator=(-G Ninja); fi
  phase=$(date +%s)
  if [[ ! -f $build/CMakeCache.txt ]]; then
    nice cmake "${generator[@]}" -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCAPPLAN_ENABLE_CUDA=OFF \
      -DCAPPLAN_BUILD_TESTS=ON -DCAPPLAN_WARNINGS_AS_ERRORS=OFF >"$work/configure.log" 2>&1 ||
      { cat "$work/configure.log" >&2; exit 2; }
  fi
  build || { tail -n 30 "$work/build.log" >&2; echo "mutation-check: the unmutated build fails" >&2; exit 2; }
  echo "mutation-check: built an unmutated copy in $(duration "$(seconds_since "$phase")")"
  phase=$(date +%s)
  failure=$(first_failure -E "$kExcluded")
  if [[ -n $failure ]]; then
    echo "mutation-check: the unmutated suite fails ($failure); fix that first" >&2
    exit 2
  fi
  echo "mutation-check: the unmutated suite (less /$kExcluded/) passes in $(duration "$(seconds_since "$phase")")"
}

# Every `test:` field names a test of the suite.
check_hints() {
  local name file test
  while IFS=$'\t' read -r -u 3 name file test; do
    if [[ -n $test && -z $(binary_of "$test") ]]; then
      echo "mutation-check: $name: no test named '$test' (its 'test:' field)" >&2
      exit 2
    fi
  done 3<<<"$1"
}

# Applies mutant `name` to `file`, runs the tests and restores the file.
# Prints the test that caught it, or nothing; returns 3 if it does not build.
run_mutant() {
  local name="$1" file="$2" test="$3" by="" rc=0
  cp -p "$src/$file" "$work/original/file"
  mutants apply "$list" "$src" "$name"
  if ((hints)) && [[ -n $test ]]; then
    by=$(hinted_failure "$test") || rc=$?
  fi
  if ((rc == 0)) && [[ -z $by ]]; then
    if build; then by=$(first_failure -E "$kExcluded"); else rc=3; fi
  fi
  # Restored with a new time stamp, so the next build recompiles what the mutant touched.
  cp "$work/original/file" "$src/$file"
  touch "$src/$file"
  echo "$by"
  return "$rc"
}

main() {
  parse_options "$@"
  local started selection total index=0 caught=0 survivors=() broken=() name file test by rc took mutant_started
  started=$(date +%s)
  selection=$(mutants check "$list" "$root" "$only") || {
    echo "mutation-check: the mutant list is broken (above); nothing was run" >&2
    exit 2
  }
  prepare
  if ((hints)); then check_hints "$selection"; fi
  total=$(grep -c . <<<"$selection")
  while IFS=$'\t' read -r -u 3 name file test; do
    index=$((index + 1))
    mutant_started=$(date +%s)
    rc=0
    by=$(run_mutant "$name" "$file" "$test") || rc=$?
    took=$(seconds_since "$mutant_started")
    if ((rc != 0)); then
      broken+=("$name")
      printf '[%2d/%d] %-40s DOES NOT BUILD (%s s)\n' "$index" "$total" "$name" "$took"
      tail -n 20 "$work/build.log"
    elif [[ -n $by ]]; then
      caught=$((caught + 1))
      printf '[%2d/%d] %-40s caught by %s (%s s)\n' "$index" "$total" "$name" "$by" "$took"
    else
      survivors+=("$name")
      printf '[%2d/%d] %-40s SURVIVED (%s s)\n' "$index" "$total" "$name" "$took"
    fi
  done 3<<<"$selection"

  echo
  echo "mutation-check: score $caught / $total caught, in $(duration "$(seconds_since "$started")")"
  for name in "${survivors[@]}"; do
    echo "  survived: $name ($(mutants field "$list" "$name" file)): $(mutants field "$list" "$name" effect)"
  done
  for name in "${broken[@]}"; do echo "  does not build: $name (fix its entry in the list)"; done
  if ((${#broken[@]})); then exit 2; fi
  if ((${#survivors[@]})); then exit 1; fi
  exit 0
}

# Parsed whole before it runs, so editing this file during a run is safe.
main "$@"
