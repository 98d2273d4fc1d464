#!/bin/sh
# ctest case for the report in a real browser: test_writers writes the
# Stirling report (LOC_KEEP_OUTPUT), then scripts/check_report.sh renders
# it in headless Chromium and fails on any console message.  Exits 77
# (skipped) when Chromium is not installed.
# Usage: run_report_check.sh TEST_WRITERS_BINARY SOURCE_DIR
set -u
bin=$1 src=$2
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || {
    echo "chromium not installed; skipped"
    exit 77
}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
LOC_KEEP_OUTPUT=$dir "$bin" >"$dir/test.log" 2>&1 || {
    cat "$dir/test.log"
    exit 1
}
[ -s "$dir/report.html" ] || {
    echo "test_writers wrote no report.html (Stirling data missing?); skipped"
    exit 77
}
sh "$src/scripts/check_report.sh" "$dir/report.html" "$dir/report.png"
