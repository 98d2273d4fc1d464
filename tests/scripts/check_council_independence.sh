#!/usr/bin/env bash
# Per-council determinism of `build`: every council of all of Scotland
# (the embedded 2011 data zones and SIMD 2020v2 in data/scotland/) built
# alone, with one thread, gives byte for byte the zones.csv rows that the
# same council has in the all-Scotland build with two threads; and Fife
# built together with Glasgow gives Fife's rows too.  A council's
# localities must depend on its zones, the graph and the settings only.
# Usage: check_council_independence.sh LOCALITIES_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"
B=data/scotland/dz2011_scotland_simplified.gpkg
"$bin" build --boundaries "$B" --threads 2 --out "$out/all" >/dev/null 2>&1
# rows of one council: its locality codes start with its code
rows() { grep "^[^,]*,$2-" "$1" || true; }
codes=$(sed 1d "$out/all/zones.csv" | cut -d, -f2 | sed 's/-.*//' | sort -u)
fail=0 n=0
for c in $codes; do
  "$bin" build --boundaries "$B" --council "$c" --threads 1 --out "$out/one" >/dev/null 2>&1
  if ! cmp -s <(rows "$out/all/zones.csv" "$c") <(rows "$out/one/zones.csv" "$c"); then
    echo "$c: built alone differs from the all-Scotland build"
    fail=1
  fi
  n=$((n + 1))
done
[ "$n" -ge 32 ] || { echo "only $n councils in the all-Scotland build"; fail=1; }
# Fife (S12000047) with Glasgow City (S12000049)
"$bin" build --boundaries "$B" --council S12000047 --council S12000049 --out "$out/two" >/dev/null 2>&1
for c in S12000047 S12000049; do
  cmp -s <(rows "$out/all/zones.csv" "$c") <(rows "$out/two/zones.csv" "$c") ||
    { echo "$c: built with one other council differs from the all-Scotland build"; fail=1; }
done
[ $fail = 0 ] && echo "$n councils: each built alone equals its rows in the all-Scotland build"
exit $fail
