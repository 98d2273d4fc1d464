#!/usr/bin/env bash
# The default graph on boundaries simplified zone by zone.  The all-Scotland
# 2011 zones are simplified one by one with ogr2ogr -simplify 25 (gaps and
# overlaps up to about 25 m); the default graph (--snap auto) must find at
# least 99% of the rook pairs of the clean file with at most 1% false
# pairs, say which tolerance it chose, and keep 0.1 m on the clean file.
# Usage: check_snap_auto.sh LOCALITIES_BINARY SOURCE_DIR
set -uo pipefail
bin=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src" || exit 1
command -v ogr2ogr >/dev/null || { echo "SKIPPED: ogr2ogr (gdal-bin) is not installed"; exit 77; }
clean=data/scotland/dz2011_scotland_simplified.gpkg
ogr2ogr -simplify 25 -nlt MULTIPOLYGON "$tmp/simp25.gpkg" "$clean" 2>/dev/null || { echo "FAIL: ogr2ogr"; exit 1; }
"$bin" graph --boundaries "$clean" --out "$tmp/clean" >"$tmp/clean.txt" 2>"$tmp/clean.err" || { cat "$tmp/clean.err"; exit 1; }
"$bin" graph --boundaries "$tmp/simp25.gpkg" --out "$tmp/simp" >"$tmp/simp.txt" 2>"$tmp/simp.err" || { cat "$tmp/simp.err"; exit 1; }
grep -q "snapping .* within 0.1 m$" "$tmp/clean.txt" || { echo "FAIL: the clean file did not keep 0.1 m"; grep snapping "$tmp/clean.txt"; exit 1; }
grep -q "the boundaries are not a clean coverage" "$tmp/simp.err" || { echo "FAIL: no word of the tolerance chosen"; exit 1; }
rook() { awk -F, 'NR > 1 && $4 == "rook" { print $1 "," $2 }' "$1" | sort; }
rook "$tmp/clean/graph.csv" >"$tmp/t"
rook "$tmp/simp/graph.csv" >"$tmp/g"
true_n=$(wc -l <"$tmp/t") got_n=$(wc -l <"$tmp/g") hit=$(comm -12 "$tmp/t" "$tmp/g" | wc -l)
false_n=$((got_n - hit))
echo "$(grep -o 'snapping at [0-9.]* m' "$tmp/simp.err"): $hit of $true_n true pairs, $false_n false of $got_n"
[ $((hit * 100)) -ge $((true_n * 99)) ] || { echo "FAIL: fewer than 99% of the true pairs"; exit 1; }
[ $((false_n * 100)) -le "$got_n" ] || { echo "FAIL: more than 1% false pairs"; exit 1; }
echo "simplified zone by zone: the default graph finds 99% of the pairs"
