#!/usr/bin/env bash
# Stable locality codes on the embedded Stirling data: two builds give the
# same codes; Stirling's codes are the same built alone and within all of
# Scotland (data/scotland); and `build --codes-from` with an earlier
# zones.csv whose codes are arbitrary (OLD-1, OLD-2, ...) and in which one
# zone sat in a neighbouring locality keeps every earlier code of the
# localities that one zone did not touch, and of the touched ones exactly
# those whose residents still overlap by 90% or more.
# Usage: check_codes_stable.sh LOCALITIES_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"
fail=0
"$bin" build --out "$out/a" >/dev/null 2>&1
"$bin" build --threads 1 --out "$out/b" >/dev/null 2>&1
cmp -s "$out/a/zones.csv" "$out/b/zones.csv" || { echo "two builds give different zones.csv"; fail=1; }
# the earlier run: codes renamed OLD-n in order of appearance, and the
# first zone of the second locality put in the first locality
awk -F, 'NR == 1 { print; next }
         { if (!($2 in old)) { old[$2] = "OLD-" (++n); if (n == 2) { moved = $1; to = old_first } if (n == 1) old_first = "OLD-1" }
           c = old[$2]; if ($1 == moved) c = to; $2 = c; print }' OFS=, "$out/a/zones.csv" > "$out/earlier.csv"
"$bin" build --codes-from "$out/earlier.csv" --out "$out/c" > "$out/c.txt" 2>&1
# expected: every locality keeps OLD-n except perhaps the two touched
python3 - "$out/a/zones.csv" "$out/earlier.csv" "$out/c/zones.csv" <<'PY' || fail=1
import csv, sys
def read(p):
    with open(p, newline='') as f:
        return list(csv.DictReader(f))
now, old, kept = read(sys.argv[1]), read(sys.argv[2]), read(sys.argv[3])
pop = {r['zone_code']: float(r['population']) for r in now}
def groups(rows):
    g = {}
    for r in rows:
        g.setdefault(r['locality_code'], set()).add(r['zone_code'])
    return g
gn, go = groups(now), groups(old)
code_of = {r['zone_code']: r['locality_code'] for r in kept}
bad = 0
for code, zones in gn.items():
    best, bj = None, 0
    for oc, oz in go.items():
        inter = sum(pop[z] + 1e-9 for z in zones & oz)
        if inter:
            j = inter / (sum(pop[z] + 1e-9 for z in zones | oz))
            if j > bj:
                best, bj = oc, j
    want = best if bj >= 0.9 else code
    got = {code_of[z] for z in zones}
    if got != {want}:
        print(f"locality {code}: expected code {want} (overlap {bj:.3f}), got {sorted(got)}")
        bad = 1
untouched = sum(1 for c, z in gn.items() if any(z == oz for oz in go.values()))
print(f"{len(gn)} localities, {untouched} untouched by the moved zone, codes as expected")
sys.exit(bad)
PY
grep -q "codes      2[0-9] of 23 kept from" "$out/c.txt" || { echo "summary lacks the codes line:"; grep codes "$out/c.txt"; fail=1; }
# Stirling alone and within all of Scotland
B=data/scotland/dz2011_scotland_simplified.gpkg
"$bin" build --boundaries "$B" --out "$out/all" >/dev/null 2>&1
"$bin" build --boundaries "$B" --council S12000030 --out "$out/one" >/dev/null 2>&1
cmp -s <(grep ',S12000030-' "$out/all/zones.csv") <(grep ',S12000030-' "$out/one/zones.csv") ||
  { echo "Stirling's codes differ between its own build and all of Scotland's"; fail=1; }
[ $fail = 0 ] && echo "codes stable across runs, councils and a moved zone"
exit $fail
