#!/usr/bin/env bash
# Memory check: every cmocka test binary, then the command-line golden and
# bad-input cases, under valgrind memcheck.  Fails on any invalid read or
# write, use of uninitialised memory, or definite leak.
#   scripts/valgrind.sh [--build DIR] [--no-cli] [--no-unit] [TEST_NAME...]
# The build (default build-valgrind, RelWithDebInfo, no sanitizers) is made
# when missing.  Logs go to DIR/valgrind/.  Needs the Debian package
# valgrind.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build-valgrind
cli=1
unit=1
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift ;;
    --no-cli) cli=0 ;;
    --no-unit) unit=0 ;;
    -*) echo "valgrind.sh: unknown option '$1'" >&2; exit 2 ;;
    *) only+=("$1") ;;
  esac
  shift
done
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 2; }
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
logs=$build/valgrind
rm -rf "$logs"
mkdir -p "$logs"
# Definite leaks are errors; "still reachable" blocks (library caches such
# as GDAL's driver registry and PROJ's database handle) are not.
# The tool links jemalloc (CMakeLists.txt): memcheck must replace its
# malloc too, as it does the C library's, or it sees no heap at all.
vg=(valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --error-exitcode=99 --track-origins=yes --num-callers=30
    --soname-synonyms=somalloc=libjemalloc.so*)
[ -f "$here/scripts/valgrind.supp" ] && vg+=(--suppressions="$here/scripts/valgrind.supp")
status=0
# tests that measure memory know not to (valgrind's own is counted)
export LOC_UNDER_VALGRIND=1

tests=("${only[@]}")
if [ ${#tests[@]} -eq 0 ] && [ $unit = 1 ]; then
  for t in "$build"/test_*; do [ -x "$t" ] && tests+=("$(basename "$t")"); done
fi
for t in "${tests[@]}"; do
  start=$(date +%s)
  if (cd "$build" && CMOCKA_MESSAGE_OUTPUT=STDOUT "${vg[@]}" --log-file="$logs/$t.log" "./$t" >"$logs/$t.out" 2>&1); then
    echo "ok    $t ($(( $(date +%s) - start )) s)"
  else
    echo "FAIL  $t: see $logs/$t.log and $logs/$t.out"
    grep -E "ERROR SUMMARY|definitely lost|Invalid|uninitialised" "$logs/$t.log" | head -5
    status=1
  fi
done

if [ $cli = 1 ] && [ ${#only[@]} -eq 0 ]; then
  # The golden cases compare stderr exactly, so valgrind writes to a log
  # per run and its exit status 99 makes the case fail.
  wrap=$logs/localities-vg
  cat >"$wrap" <<WRAP
#!/usr/bin/env bash
exec ${vg[*]} --log-file="$logs/cli.%p.log" "$build/localities" "\$@"
WRAP
  chmod +x "$wrap"
  n=0 bad=0 skipped=0
  for c in "$here"/tests/cli/*.case "$here"/tests/bad/*.case; do
    n=$((n + 1))
    rc=0
    "$here/tests/run_cli_case.sh" "$wrap" "$c" "$here" >"$logs/case.out" 2>&1 || rc=$?
    if [ $rc = 77 ]; then
      skipped=$((skipped + 1)) # its data (../shared) is not here
    elif [ $rc != 0 ]; then
      echo "FAIL  $(basename "$c"): $(head -3 "$logs/case.out" | tr '\n' ' ')"
      bad=$((bad + 1))
      status=1
    fi
  done
  [ $skipped = 0 ] || echo "skip  $skipped command-line cases whose data is missing"
  errs=$( (grep -l "ERROR SUMMARY: [1-9]" "$logs"/cli.*.log 2>/dev/null || true) | wc -l)
  echo "$( [ $bad = 0 ] && [ "$errs" = 0 ] && echo ok || echo FAIL )    $n command-line cases, $errs runs with valgrind errors"
  [ "$errs" = 0 ] || status=1
fi
exit $status
