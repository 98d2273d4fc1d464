#!/bin/sh
# Render a report.html in headless Chromium (Debian's `chromium` package)
# and check that it loads cleanly: no console messages (the report has no
# scripts, so any console output is an error: a failed resource, a parse
# problem), a DOM that ends in </html> with its SVG maps and tables, and a
# screenshot to look at.  Networking is off for the render, so a report
# that needed the network would show it.
#
# Usage: scripts/check_report.sh REPORT.html SCREENSHOT.png [WIDTHxHEIGHT]
# Exit status: 0 clean, 1 problems found, 2 usage or no Chromium.
set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 REPORT.html SCREENSHOT.png [WIDTHxHEIGHT]" >&2
    exit 2
fi
report=$1
shot=$2
size=${3:-1280x3000}
if [ ! -r "$report" ]; then
    echo "check_report: cannot read '$report'" >&2
    exit 2
fi
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
    echo "check_report: no chromium; install it with 'apt-get install chromium'" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
# --proxy-server to a closed port: any network fetch fails and is logged
flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
--disable-sync --no-first-run --disable-extensions --proxy-server=127.0.0.1:9 \
--enable-logging=stderr --v=0"

status=0
# shellcheck disable=SC2086
"$chrome" $flags --user-data-dir="$work/profile-dom" --dump-dom "$url" >"$work/dom.html" 2>"$work/dom.log"
rc=$?
if [ $rc -ne 0 ]; then
    echo "check_report: chromium failed to render '$report' (exit $rc)" >&2
    tail -5 "$work/dom.log" >&2
    exit 1
fi
if grep -q "CONSOLE" "$work/dom.log"; then
    echo "check_report: console messages while loading '$report':" >&2
    grep "CONSOLE" "$work/dom.log" >&2
    status=1
fi
if grep -Eqi "net::ERR|Failed to load resource" "$work/dom.log"; then
    echo "check_report: '$report' tried to load a resource:" >&2
    grep -Ei "net::ERR|Failed to load resource" "$work/dom.log" >&2
    status=1
fi
if ! grep -q "</html>" "$work/dom.html"; then
    echo "check_report: the rendered DOM is incomplete" >&2
    status=1
fi
svgs=$(grep -o "<svg" "$work/dom.html" | wc -l)
tables=$(grep -o "<table" "$work/dom.html" | wc -l)
if [ "$svgs" -eq 0 ] || [ "$tables" -eq 0 ]; then
    echo "check_report: the rendered DOM has $svgs svg and $tables table elements" >&2
    status=1
fi

# shellcheck disable=SC2086
"$chrome" $flags --user-data-dir="$work/profile-shot" --hide-scrollbars --window-size="$(echo "$size" | tr x ,)" \
    --screenshot="$shot" "$url" >/dev/null 2>"$work/shot.log"
if [ ! -s "$shot" ]; then
    echo "check_report: no screenshot written to '$shot'" >&2
    tail -5 "$work/shot.log" >&2
    status=1
fi
if [ $status -eq 0 ]; then
    echo "check_report: '$report' renders cleanly ($svgs svg, $tables tables, no console messages); screenshot '$shot'"
fi
exit $status
