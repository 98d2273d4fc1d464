#!/usr/bin/env bash
# The null experiment behind the plan rule's defaults, on all of Scotland
# (the embedded 2011 data zones and SIMD 2020v2, the default build):
#
#   1. the defaults, 200 shuffles of the zone values within each council
#      and 200 across all of Scotland: the share of localities the rule
#      flags when nothing distinguishes them, for every domain threshold K;
#   2. the alternatives measured the same way (50 shuffles each): each
#      overdispersion allowance at 95% and 99.8%, K = 2: the share flagged
#      on the real data, under the within-council null, and under the
#      all-Scotland null.
#
# Usage: scripts/null_experiment.sh [SHUFFLES] [ALT_SHUFFLES]  (defaults 200, 50)
# Needs a built tool in build/ (scripts/bootstrap.sh test builds it).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bin=build/localities
[ -x "$bin" ] || { echo "null_experiment.sh: build the tool first (scripts/bootstrap.sh test)" >&2; exit 2; }
shuffles=${1:-200}
alt=${2:-50}
scot=(--boundaries data/scotland/dz2011_scotland_simplified.gpkg --quiet)

echo "== defaults, $shuffles shuffles"
start=$(date +%s.%N)
"$bin" calibrate "${scot[@]}" --shuffles "$shuffles" 2>/dev/null
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "(%.1f s)\n", e - s }'

echo
echo "== alternatives, K = 2 domains, $alt shuffles each"
printf "%-16s %-10s %12s %16s %16s\n" allowance confidence "real plans" "null (council)" "null (Scotland)"
for od in none multiplicative additive zones; do
  for conf in 0.95 0.998; do
    "$bin" calibrate "${scot[@]}" --shuffles "$alt" --overdispersion "$od" --confidence "$conf" 2>/dev/null |
      awk -v od="$od" -v conf="$conf" '
        /^shuffled within/ { part = 1 } /^shuffled across/ { part = 2 }
        $1 == "2" && part == 1 { real = $3; within = $4 }
        $1 == "2" && part == 2 { across = $4 }
        END { printf "%-16s %-10s %12s %16s %16s\n", od, conf, real, within, across }'
  done
done
