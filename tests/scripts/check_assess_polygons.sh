#!/usr/bin/env bash
# `assess` on given localities: the same localities handed in as a zone ->
# locality lookup (a run's zones.csv) and as polygons (the run's dissolved
# localities.gpkg and localities.geojson) give the same assessment, and
# assess writes the full set of run's outputs, which for the same
# localities equal run's byte for byte (the report differs only in its
# settings: the localities were given, not built).
# Usage: check_assess_polygons.sh LOCALITIES_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"
fail=0
"$bin" run --quiet --out "$out/run" >/dev/null
"$bin" assess --quiet --localities "$out/run/zones.csv" --locality-column locality_code --out "$out/lookup" >/dev/null
"$bin" assess --quiet --localities "$out/run/localities.gpkg" --out "$out/gpkg" >"$out/gpkg.txt"
"$bin" assess --quiet --localities "$out/run/localities.geojson" --out "$out/geojson" >/dev/null
for d in lookup gpkg geojson; do
  for f in zones.csv localities.csv indicators.csv graph.csv graph.gal graph.gwt localities.geojson localities.gpkg report.html; do
    [ -s "$out/$d/$f" ] || { echo "assess from $d wrote no $f"; fail=1; }
  done
  for f in zones.csv localities.csv indicators.csv graph.csv localities.geojson; do
    cmp -s "$out/run/$f" "$out/$d/$f" || { echo "assess from $d: $f differs from run's"; fail=1; }
  done
done
# the polygons are the zones' own union: every zone lies wholly in its locality
[ "$(wc -l <"$out/gpkg/zones_split.csv")" = 1 ] || { echo "zones_split.csv lists zones"; fail=1; }
grep -q "placed       121 zones (94,000 residents) in 23 locality polygons; 0 (0 residents" "$out/gpkg.txt" ||
  { echo "placement summary:"; cat "$out/gpkg.txt"; fail=1; }
[ -e "$out/lookup/zones_split.csv" ] && { echo "lookup input wrote zones_split.csv"; fail=1; }
[ $fail = 0 ] && echo "assess on Stirling: lookup, GeoPackage and GeoJSON localities give run's outputs"
exit $fail
