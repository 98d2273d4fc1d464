#!/bin/sh
# Render a report.html in headless Chromium (Debian's `chromium` package)
# and check that it loads cleanly: no console messages (any console output
# is an error: a failed resource, a parse problem, a script error), a DOM
# that ends in </html> with its SVG maps and tables, and a screenshot to
# look at.  Networking is off for the render, so a report that needed the
# network would show it.  Then, at 1,280 pixels wide:
#   * accessibility: axe-core (npm, fetched once into a cache) run on the
#     page; any violation of serious or critical impact fails;
#   * overflow: no element wider than the page (text or tables cut off);
#   * print: the page printed to PDF (A4, the report's print style sheet),
#     its text extracted with pdftotext (poppler-utils), and every row of
#     the localities table found in it with its last column, so no table
#     was cut.
# The audit needs node and npm, the print check pdftotext; without them
# those steps are reported as skipped, never passed silently.
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

# --- a large report (all of Scotland: 1,240 profiles) is audited and
# printed as a sample: every section kind, the first few of each repeated
# one (councils' maps, charts, profiles) and the whole localities table.
# The sections repeat one template, so the sample meets every kind of
# element; axe-core on the whole page would take many minutes.
audit_src=$report
size_b=$(wc -c <"$report")
if [ "$size_b" -gt 3000000 ] && command -v node >/dev/null; then
    node -e '
      const fs = require("fs");
      let s = fs.readFileSync(process.argv[1], "utf8");
      const keep = { "<section class=\"council\"": 2, "<figure class=\"funnel\"": 3, "<section class=\"profile\"": 20 };
      for (const [open, n] of Object.entries(keep)) {
        const close = open.startsWith("<figure") ? "</figure>" : "</section>";
        let i = -1, seen = 0, out = "", from = 0;
        while ((i = s.indexOf(open, i + 1)) >= 0) {
          if (++seen <= n) continue;
          const end = s.indexOf(close, i) + close.length;
          out += s.slice(from, i); from = end; i = end - 1;
        }
        s = out + s.slice(from);
      }
      fs.writeFileSync(process.argv[2], s);' "$report" "$work/sample.html" && {
        audit_src="$work/sample.html"
        echo "check_report: large report ($size_b bytes): auditing and printing a sample of every section kind, the localities table whole"
    }
fi

# --- accessibility and overflow, in the page itself at 1,280 pixels
cache=${XDG_CACHE_HOME:-$HOME/.cache}/localities-report-check
axe="$cache/node_modules/axe-core/axe.min.js"
if [ ! -s "$axe" ] && command -v npm >/dev/null; then
    mkdir -p "$cache" && npm install --prefix "$cache" --no-audit --no-fund --silent axe-core@4.10.2 >&2 ||
        echo "check_report: npm could not install axe-core" >&2
fi
if [ -s "$axe" ]; then
    cp "$axe" "$work/axe.min.js"
    # the audit runs after the page's own script; its verdict goes into
    # the DOM, which --dump-dom prints once the virtual time has run out
    sed 's#</body>#<script src="axe.min.js"></script><script>(async function(){var out={};try{var r=await axe.run(document,{resultTypes:["violations"]});out.violations=r.violations.filter(function(v){return v.impact==="serious"||v.impact==="critical";}).map(function(v){return v.impact+" "+v.id+": "+v.help+" ("+v.nodes.length+" nodes, e.g. "+v.nodes[0].target.join(" ")+")";});}catch(e){out.error=String(e);}var w=document.documentElement.clientWidth,wide=[];document.querySelectorAll("body *").forEach(function(el){var b=el.getBoundingClientRect();if(!el.ownerSVGElement\&\&b.width>0\&\&b.right>w+1\&\&wide.length<5)wide.push(el.tagName+(el.className\&\&el.className.baseVal===undefined?"."+el.className:"")+" right "+Math.round(b.right));});out.wide=wide;var p=document.createElement("pre");p.id="audit-result";p.textContent=JSON.stringify(out);document.body.appendChild(p);})();</script></body>#' \
        "$audit_src" >"$work/audit.html"
    # shellcheck disable=SC2086
    "$chrome" $flags --user-data-dir="$work/profile-audit" --window-size=1280,900 --virtual-time-budget=120000 \
        --dump-dom "file://$work/audit.html" >"$work/audit.dom" 2>"$work/audit.log"
    result=$(sed -n 's#.*<pre id="audit-result">\(.*\)</pre>.*#\1#p' "$work/audit.dom" | sed 's/&quot;/"/g')
    if [ -z "$result" ]; then
        echo "check_report: the accessibility audit gave no result" >&2
        tail -5 "$work/audit.log" >&2
        status=1
    else
        node -e '
          const r = JSON.parse(process.argv[1]);
          let bad = 0;
          if (r.error) { console.error("check_report: axe-core failed: " + r.error); bad = 1; }
          for (const v of r.violations || []) { console.error("check_report: accessibility: " + v); bad = 1; }
          for (const w of r.wide || []) { console.error("check_report: wider than the page at 1,280 px: " + w); bad = 1; }
          if (!bad) console.log("check_report: axe-core finds no serious or critical violation; nothing wider than 1,280 px");
          process.exit(bad);' "$result" || status=1
    fi
else
    echo "check_report: accessibility audit skipped: no axe-core (needs node and npm)"
fi

# --- print: every row of the localities table, whole, in the PDF
if command -v pdftotext >/dev/null; then
    # shellcheck disable=SC2086
    "$chrome" $flags --user-data-dir="$work/profile-pdf" --no-pdf-header-footer --print-to-pdf="$work/report.pdf" \
        "file://$(cd "$(dirname "$audit_src")" && pwd)/$(basename "$audit_src")" >/dev/null 2>"$work/pdf.log"
    if [ ! -s "$work/report.pdf" ]; then
        echo "check_report: no PDF printed" >&2
        tail -5 "$work/pdf.log" >&2
        status=1
    else
        pdftotext -layout "$work/report.pdf" "$work/report.txt"
        # the table's rows: locality codes in the people table of the DOM
        sed -n '/<table class="data people">/,/<\/table>/p' "$work/dom.html" |
            grep -o '<small>[^<]*</small></td><td>' | sed 's#<small>\(.*\)</small></td><td>#\1#' >"$work/codes"
        rows=$(wc -l <"$work/codes")
        missing=0
        while IFS= read -r code; do
            grep -qF -- "$code" "$work/report.txt" || { missing=$((missing + 1)); [ $missing -le 5 ] && echo "check_report: '$code' is not in the printed report" >&2; }
        done <"$work/codes"
        pages=$(pdfinfo "$work/report.pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
        if [ "$rows" -eq 0 ]; then
            echo "check_report: printed to PDF (${pages:-?} A4 pages); no localities table to look for"
        elif [ "$missing" -gt 0 ] || ! grep -q "Locality.*Council.*Residents.*Scotland" "$work/report.txt"; then
            echo "check_report: the printed localities table is cut: $missing of $rows rows missing" >&2
            status=1
        else
            echo "check_report: printed to PDF (${pages:-?} A4 pages); all $rows rows of the localities table are in it, last column included"
        fi
    fi
else
    echo "check_report: print check skipped: no pdftotext (apt-get install poppler-utils)"
fi
exit $status
