#!/usr/bin/env bash
# The plan decision on the real data, at the defaults:
#  1. one decision, one picture: in report.html every point drawn as
#     significantly poorer (or better) is a cell flagged poorer (better) in
#     indicators.csv and the reverse, counted per indicator and comparator,
#     on the embedded Stirling run and on the all-Scotland run;
#  2. on all of Scotland, every locality with most of its residents in the
#     most deprived fifth of zones (SIMD quintile 1) and income deprivation
#     at least twice Scotland's is flagged for a plan, and no locality with
#     most of its residents in the least deprived fifth (quintile 5) is.
# Usage: check_plan_decision.sh LOCALITIES_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"
fail=0

# CSV fields with quotes and commas, in awk (mawk has no FPAT): splits $0
# into f[1..n] and returns n.
csv_awk='
function csv(line, f,    n, i, c, q, cur) {
  n = 0; cur = ""; q = 0
  for (i = 1; i <= length(line); i++) {
    c = substr(line, i, 1)
    if (q) {
      if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { cur = cur "\""; i++ } else q = 0 }
      else cur = cur c
    } else if (c == "\"") q = 1
    else if (c == ",") { f[++n] = cur; cur = "" }
    else if (c != "\r") cur = cur c
  }
  f[++n] = cur
  return n
}'

# 1: flags in the table against classes in the picture, per indicator.
agree() {
  local dir=$1 name=$2
  # poorer/better cells per indicator from indicators.csv (both comparators)
  awk "$csv_awk"'
    NR == 1 { next }
    { csv($0, f); if (f[10] == "poorer") p[f[2]]++; else if (f[10] == "better") b[f[2]]++; seen[f[2]] = 1 }
    END { for (k in seen) printf "%s %d %d\n", k, p[k] + 0, b[k] + 0 }' "$dir/indicators.csv" | sort >"$out/table"
  # circles per figure in report.html, each figure naming its indicator
  awk '
    /<figure class="funnel"/ { match($0, /data-indicator="[^"]*"/); ind = substr($0, RSTART + 16, RLENGTH - 17); n[ind] = 1 }
    ind != "" && /<circle class="worse/ { p[ind]++ }
    ind != "" && /<circle class="better/ { b[ind]++ }
    END { for (k in n) printf "%s %d %d\n", k, p[k] + 0, b[k] + 0 }' "$dir/report.html" | sort >"$out/drawn"
  local ntab
  ntab=$(wc -l <"$out/drawn")
  [ "$ntab" -gt 0 ] || { echo "$name: no funnel figure in report.html"; fail=1; return; }
  # every indicator with a flag must have a figure, and the counts agree
  join -a 2 -e MISSING -o 0,1.2,1.3,2.2,2.3 "$out/drawn" "$out/table" |
    awk '($2 != $4 || $3 != $5) && ($4 + $5 > 0 || $2 != "MISSING") { print; bad = 1 } END { exit bad }' >"$out/diff" || {
    echo "$name: report points and indicators.csv flags disagree (indicator, drawn poorer/better, table poorer/better):"
    cat "$out/diff"; fail=1; return; }
  echo "$name: the report's funnel points agree with indicators.csv for all $ntab tested indicators"
}

"$bin" run --quiet --out "$out/stirling" >/dev/null 2>&1
agree "$out/stirling" "Stirling"
"$bin" run --quiet --boundaries data/scotland/dz2011_scotland_simplified.gpkg --out "$out/scotland" >/dev/null 2>&1
agree "$out/scotland" "Scotland"

# 2: the most and the least deprived localities of Scotland.
awk "$csv_awk"'
  FNR == 1 { file++; sub(/^\357\273\277/, ""); n = csv($0, h); for (i = 1; i <= n; i++) col[file, h[i]] = i; next }
  file == 1 { csv($0, f); q[f[col[1, "Data_Zone"]]] = f[col[1, "SIMD2020v2_Quintile"]];
              pop[f[col[1, "Data_Zone"]]] = f[col[1, "Total_population"]];
              inc[f[col[1, "Data_Zone"]]] = f[col[1, "income_count"]];
              tp += f[col[1, "Total_population"]]; ti += f[col[1, "income_count"]]; next }
  file == 2 { csv($0, f); z = f[col[2, "zone_code"]]; L = f[col[2, "locality_code"]];
              P[L] += pop[z]; I[L] += inc[z]; if (q[z] == 1) Q1[L] += pop[z]; if (q[z] == 5) Q5[L] += pop[z]; next }
  file == 3 { csv($0, f); plan[f[col[3, "locality_code"]]] = f[col[3, "plan_required"]]; next }
  END {
    nat = ti / tp
    for (L in P) {
      if (P[L] <= 0) continue
      if (Q1[L] / P[L] > 0.5 && I[L] / P[L] >= 2 * nat) { dep++; if (plan[L] != 1) { miss++; print "not flagged: " L } }
      if (Q5[L] / P[L] > 0.5) { aff++; if (plan[L] == 1) { wrong++; print "flagged: " L } }
    }
    printf "Scotland: %d of %d most deprived localities flagged; %d of %d least deprived flagged\n",
           dep - miss, dep, wrong + 0, aff
    exit (miss + wrong > 0 || dep == 0 || aff == 0)
  }' data/scotland/simd2020v2_withinds.csv "$out/scotland/zones.csv" "$out/scotland/localities.csv" || fail=1
exit $fail
