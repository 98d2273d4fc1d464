#!/usr/bin/env bash
# The report of a real run, in a real browser: `localities run` on the
# embedded Stirling data and on all of Scotland, each report checked by
# scripts/check_report.sh (renders without console messages, axe-core finds
# no serious or critical violation, nothing wider than 1,280 px, the
# localities table printed whole) and the all-Scotland report under 15 MB.
# Exits 77 (skipped) without Chromium.
# Usage: check_report_runs.sh LOCALITIES_BINARY SOURCE_DIR
set -uo pipefail
bin=$1 src=$2
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || {
  echo "chromium not installed; skipped"
  exit 77
}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src" || exit 1
fail=0
"$bin" run --quiet --out "$out/stirling" >/dev/null 2>&1 || { echo "run on Stirling failed"; exit 1; }
sh scripts/check_report.sh "$out/stirling/report.html" "$out/stirling.png" || fail=1
"$bin" run --quiet --boundaries data/scotland/dz2011_scotland_simplified.gpkg --out "$out/scotland" >/dev/null 2>&1 ||
  { echo "run on all of Scotland failed"; exit 1; }
sh scripts/check_report.sh "$out/scotland/report.html" "$out/scotland.png" || fail=1
size=$(wc -c <"$out/scotland/report.html")
if [ "$size" -ge 15000000 ]; then
  echo "the all-Scotland report is $size bytes, over 15 MB"
  fail=1
else
  echo "the all-Scotland report is $size bytes"
fi
exit $fail
