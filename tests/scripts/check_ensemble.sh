#!/usr/bin/env bash
# run --ensemble on the embedded Stirling data: ensemble_zones.csv has
# every zone once with a share of plans that is a whole number of plans
# over 3; ensemble_localities.csv every locality; and every feature of
# localities.geojson carries plans_similar, flag_holds_share and
# residents_flagged_share, equal to ensemble_localities.csv's, and
# zones.csv and localities.csv carry the same columns; the report offers
# both shares in its maps' selector, with every locality's value, and
# has its floor-and-ceiling section.
# Usage: check_ensemble.sh LOCALITIES_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"
"$bin" run --quiet --ensemble 3 --out "$out/r" >/dev/null 2>&1
python3 - "$out/r" <<'PY'
import csv, json, sys
d = sys.argv[1]
zones = list(csv.DictReader(open(f"{d}/zones.csv", newline="")))
ez = list(csv.DictReader(open(f"{d}/ensemble_zones.csv", newline="")))
el = {r["locality_code"]: r for r in csv.DictReader(open(f"{d}/ensemble_localities.csv", newline=""))}
assert [r["zone_code"] for r in ez] == [r["zone_code"] for r in zones], "zones differ"
for r in ez:
    s = float(r["share_of_plans_flagged"])
    assert 0 <= s <= 1 and abs(s * 3 - round(s * 3)) < 1e-3, r
feats = json.load(open(f"{d}/localities.geojson"))["features"]
assert len(feats) == len(el), "localities differ"
for f in feats:
    p = f["properties"]
    e = el[p["code"]]
    assert p["plans_similar"] == int(e["plans_similar"]), p["code"]
    if e["flag_holds_share"]:
        assert abs(p["flag_holds_share"] - float(e["flag_holds_share"])) < 1e-4, p["code"]
    assert abs(p["residents_flagged_share"] - float(e["residents_flagged_share"])) < 1e-4, p["code"]
zc = {r["zone_code"]: r["share_of_plans_flagged"] for r in ez}
assert all(r["share_of_plans_flagged"] == zc[r["zone_code"]] for r in zones), "zones.csv column differs"
for r in csv.DictReader(open(f"{d}/localities.csv", newline="")):
    e = el[r["locality_code"]]
    for c in ("plans_similar", "flag_holds_share", "residents_flagged_share"):
        assert r[c] == e[c], (r["locality_code"], c)
html = open(f"{d}/report.html", encoding="utf-8").read()
import re
data = json.loads(re.search(r'<script type="application/json" id="ind-data">(.*?)</script>', html, re.S).group(1))
names = [x["n"] for x in data["ind"]]
for c in ("flag_holds_share", "residents_flagged_share"):
    assert c in names, f"the report's map selector lacks {c}"
    vals = data["v"][names.index(c)]
    assert len(vals) == len(feats), c
    # in the localities' order, as the GeoJSON's features
    for v, f in zip(vals, feats):
        w = f["properties"].get(c)
        assert (v is None) == (w is None) and (v is None or abs(v - w) < 1e-5), (c, f["properties"]["code"], v, w)
assert '<h2 id="feasibility">Floor and ceiling</h2>' in html, "no floor-and-ceiling section"
print(f"ensemble of 3 plans: {len(ez)} zones, {len(feats)} localities, GeoJSON carries the columns, the report maps them")
PY
