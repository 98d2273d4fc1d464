#!/usr/bin/env bash
# The writers run concurrently; the files must not depend on it.  All of
# Scotland (the embedded boundaries) run with the default writer threads
# and with --threads 1 (one build thread, one writer: the files written
# one after another) must give byte-for-byte the same CSV tables, graph
# files, localities.geojson and report.html (the report's date fixed by
# SOURCE_DATE_EPOCH), the same localities.gpkg feature by feature, and
# the same run.json output list and the same summary.
# Usage: check_run_threads.sh LOCALITIES_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"
args=(run --quiet --boundaries data/scotland/dz2011_scotland_simplified.gpkg)
export SOURCE_DATE_EPOCH=1700000000
"$bin" "${args[@]}" --out "$out/many" >"$out/many.txt" 2>&1
"$bin" "${args[@]}" --threads 1 --out "$out/one" >"$out/one.txt" 2>&1
fail=0
for x in zones.csv localities.csv indicators.csv overdispersion.csv graph.csv graph.gal graph.gwt \
         localities.geojson report.html; do
  cmp -s "$out/many/$x" "$out/one/$x" || { echo "$x differs between concurrent and one-by-one writers"; fail=1; }
done
if ! cmp -s <(ogrinfo -ro -al -q "$out/many/localities.gpkg" | grep -v '^INFO') \
    <(ogrinfo -ro -al -q "$out/one/localities.gpkg" | grep -v '^INFO'); then
  echo "localities.gpkg differs between concurrent and one-by-one writers"; fail=1
fi
cmp -s <(grep '"outputs"' "$out/many/run.json") <(grep '"outputs"' "$out/one/run.json") ||
  { echo "run.json lists other outputs"; fail=1; }
sed "s|$out/many|OUT|" "$out/many.txt" | cmp -s - <(sed "s|$out/one|OUT|" "$out/one.txt") ||
  { echo "the summary differs"; fail=1; }
[ $fail = 0 ] && echo "concurrent writers give the files of one-by-one writers"
exit $fail
