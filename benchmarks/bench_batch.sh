#!/usr/bin/env bash
# Batch benchmark: the shipped manifest (SIMD 2012, 2016, 2020v2 over all
# of Scotland; every output of every run) with one run at a time and with
# two, N times each (BENCH_REPS, default 5), alternating so that both see
# the same machine load.  Prints the median wall time of each and the
# speed-up of running releases in parallel, measured in the same session.
# Usage: benchmarks/bench_batch.sh [LOCALITIES_BINARY]   (default build/localities)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/localities}
reps=${BENCH_REPS:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$here"
time_one() {
  local s e
  s=$(date +%s.%N)
  "$bin" batch data/batch/simd_releases.csv --quiet --jobs "$1" --out "$out/j$1" >/dev/null 2>&1
  e=$(date +%s.%N)
  awk -v a="$s" -v b="$e" 'BEGIN {printf "%.3f", b - a}' 
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
j1=() j2=()
for ((r = 0; r < reps; r++)); do
  j1+=("$(time_one 1)")
  j2+=("$(time_one 2)")
done
m1=$(printf '%s\n' "${j1[@]}" | median)
m2=$(printf '%s\n' "${j2[@]}" | median)
printf 'batch of 3 releases, %d runs each\n' "$reps"
printf '  --jobs 1   median %6.2f s  (%s)\n' "$m1" "${j1[*]}"
printf '  --jobs 2   median %6.2f s  (%s)\n' "$m2" "${j2[*]}"
printf '  speed-up of two runs at a time: %.2fx on %s cores\n' "$(awk -v a="$m1" -v b="$m2" 'BEGIN {print a / b}')" "$(nproc)"
