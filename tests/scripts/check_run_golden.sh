#!/usr/bin/env bash
# Golden-file check of `localities run` on the embedded Stirling data: the
# CSV outputs and the GeoJSON are byte-for-byte those committed in
# tests/golden/stirling/, with one thread and with two, and the report has
# the same text.  After a deliberate change to the method, regenerate with
#   build/localities run --quiet --out tests/golden/stirling   (then keep only the files compared here)
# and say why in the commit.
# Usage: check_run_golden.sh LOCALITIES_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"
fail=0
for t in 1 2; do
  "$bin" run --quiet --threads "$t" --out "$out/t$t" >/dev/null
  for f in zones.csv localities.csv indicators.csv overdispersion.csv graph.csv graph.gal graph.gwt localities.geojson; do
    if ! cmp -s "$out/t$t/$f" "tests/golden/stirling/$f"; then
      echo "threads $t: $f differs from tests/golden/stirling/$f"
      diff <(head -c 2000 "tests/golden/stirling/$f") <(head -c 2000 "$out/t$t/$f") | head -5
      fail=1
    fi
  done
done
cmp -s "$out/t1/report.html" "$out/t2/report.html" || { echo "report.html differs between 1 and 2 threads"; fail=1; }
[ $fail = 0 ] && echo "run on Stirling: outputs equal the golden files with 1 and 2 threads"
exit $fail
