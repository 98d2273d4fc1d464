#!/usr/bin/env bash
# Build the libFuzzer targets (fuzz/, clang, address + undefined sanitizers)
# and run each for a fixed time.
#   scripts/fuzz.sh [SECONDS] [TARGET...]   default 60 s each; targets csv, spec, lookup, join, manifest
# Environment: FUZZ_BUILD (build folder, default build-fuzz), FUZZ_JOBS
# (parallel workers per target, default 1).  The committed seed corpus in
# fuzz/corpus/<target>/ is only read; new inputs go to
# $FUZZ_BUILD/corpus/<target>/, and a crash, leak or timeout is saved in
# $FUZZ_BUILD/artifacts/ and makes the script fail.  Keep a finding as a
# regression test in tests/ once it is fixed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv spec lookup join manifest)
build=${FUZZ_BUILD:-$here/build-fuzz}
jobs=${FUZZ_JOBS:-1}
command -v clang >/dev/null || { echo "fuzz.sh: clang is not installed (Debian: clang, libclang-rt-14-dev)" >&2; exit 2; }

CC=clang cmake -S "$here" -B "$build" -DLOC_FUZZ=ON -DLOC_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$build/artifacts"
par=()
[ "$jobs" -gt 1 ] && par=(-jobs="$jobs" -workers="$jobs")
status=0
for t in "${targets[@]}"; do
  [ -d "$here/fuzz/corpus/$t" ] || { echo "fuzz.sh: no target '$t' (csv, spec, lookup)" >&2; exit 2; }
  mkdir -p "$build/corpus/$t"
  echo "== fuzz_$t for ${secs} s"
  # the manifest reader prints the command line's messages on stderr
  quiet=()
  [ "$t" = manifest ] && quiet=(-close_fd_mask=2)
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: the
  # readers must stay bounded whatever the input.
  if ! "$build/fuzz_$t" "$build/corpus/$t" "$here/fuzz/corpus/$t" \
      -dict="$here/fuzz/csv.dict" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 "${par[@]}" "${quiet[@]}" -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/${t}-" 2>"$build/fuzz_$t.log"; then
    echo "fuzz_$t: FINDING (see $build/fuzz_$t.log and $build/artifacts/)" >&2
    tail -40 "$build/fuzz_$t.log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$build/fuzz_$t.log" | tail -2 || true
  fi
done
exit $status
