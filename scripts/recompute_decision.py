#!/usr/bin/env python3
"""Independent re-computation of the plan decision's tests.

Reads the SIMD 2020v2 file, the spec, the lookup and a run's zones.csv,
and recomputes, with nothing of the engine's code, every tested cell at the
defaults (the zones' pooled spread inside the run's localities over the
effective number of zones; 99.8%; a quarter of Scotland's zone spread as
the minimum effect; suppressed crime counts at 1): the interval of the
difference and the flag; then compares them with the run's indicators.csv.
For a run with --spread respected (the spread inside intermediate zones),
set SPREAD=respected.

Usage: [SPREAD=respected] scripts/recompute_decision.py RUN_DIR [INDICATORS.csv] [SPEC.csv] [LOOKUP.csv]
Needs python3-scipy (for the normal quantile only).
"""
import csv
import math
import os
import sys
from collections import defaultdict

from scipy.stats import norm

run = sys.argv[1]
ind_path = sys.argv[2] if len(sys.argv) > 2 else "data/scotland/simd2020v2_withinds.csv"
spec_path = sys.argv[3] if len(sys.argv) > 3 else "data/specs/simd2020v2.csv"
lk_path = sys.argv[4] if len(sys.argv) > 4 else "data/scotland/dz2011_iz2011_council_lookup.csv"

spec = [r for r in csv.DictReader(open(spec_path)) if r["type"] not in ("zone", "population", "council")]
simd = {r["Data_Zone"]: r for r in csv.DictReader(open(ind_path, encoding="utf-8-sig"))}
lookup = list(csv.DictReader(open(lk_path)))
council = {r["dz11_code"]: r["ltla20_code"] for r in lookup}
iz = {r["dz11_code"]: r["iz11_code"] for r in lookup}
by_localities = os.environ.get("SPREAD", "localities") != "respected"
locality = {r["zone_code"]: r["locality_code"] for r in csv.DictReader(open(run + "/zones.csv"))}
table = {(r["locality_code"], r["indicator"], r["comparator"]): r for r in csv.DictReader(open(run + "/indicators.csv"))}
z = norm.ppf(0.999)


def num(v):
    v = v.strip().replace("%", "").replace(",", "")
    try:
        return float(v)
    except ValueError:
        return None


def sums(vals, zones):
    w = sum(vals[q][1] for q in zones)
    x = sum(vals[q][0] * vals[q][1] for q in zones)
    ww = sum(vals[q][1] ** 2 for q in zones)
    xx = sum(vals[q][1] * vals[q][0] ** 2 for q in zones)
    return w, x, ww, xx, len(zones)


checked = bad = 0
for sp in spec:
    t, name = sp["type"], sp["name"]
    if t in ("ratio", "mean") and sp["method"] != "normal":
        continue
    k = 100 if t in ("proportion", "share") else (float(sp["per"]) if t == "rate" else 1)
    vals = {}  # zone -> (value, weight)
    for zc, r in simd.items():
        if t in ("proportion", "rate"):
            raw = r[sp["numerator"]].strip()
            x = 1.0 if raw == "*" and sp["suppressed"] else num(raw)
            n = num(r[sp["denominator"]])
            if x is None or n is None or n == 0 or (t == "proportion" and x > n):
                continue
            vals[zc] = (x / n, n)
        else:
            v = num(r[sp["value"]])
            w = num(r[sp["weight"]] if sp["weight"] else r["Total_population"])
            if v is None or w is None or w <= 0:
                continue
            if t == "share":
                v = 1.0 if v <= float(sp["threshold"]) else 0.0
            vals[zc] = (v, w)
    members = defaultdict(list)
    by_council = defaultdict(list)
    for zc in vals:
        by_council[council.get(zc)].append(zc)
        if zc in locality:
            members[locality[zc]].append(zc)
    groups = members
    if not by_localities:
        groups = defaultdict(list)
        for zc in vals:
            if zc in locality:
                groups[iz[zc]].append(zc)
    ss = den = 0.0
    for zs in groups.values():
        w, x, ww, xx, n = sums(vals, zs)
        if n >= 2:
            ss += max(xx - x * x / w, 0)
            den += w - ww / w
    within = ss / den
    w, x, ww, xx, n = sums(vals, list(vals))
    theta = x / w
    var = max(xx - x * x / w, 0) / (w if t in ("proportion", "rate") else (w - ww / w))
    effect = 0.25 * math.sqrt(var)
    worse_high = sp["worse"] == "higher"
    for loc, zs in members.items():
        w, x, ww, xx, n = sums(vals, zs)
        if n < 3 or (t not in ("ratio", "mean") and w < 100):
            continue
        y, ne = x / w, w * w / ww
        rest = [q for q in by_council[council.get(zs[0])] if locality.get(q) != loc]
        for cmp in ("scotland", "council_rest"):
            if cmp == "scotland":
                th, v0 = theta, within / ne
            else:
                rw, rx, rww, _, _ = sums(vals, rest)
                th, v0 = rx / rw, within * (1 / ne + rww / (rw * rw))
            d, se = y - th, math.sqrt(v0)
            lo, hi = d - z * se, d + z * se
            if lo > 0 and d >= effect:
                flag = "poorer" if worse_high else "better"
            elif hi < 0 and -d >= effect:
                flag = "better" if worse_high else "poorer"
            else:
                flag = "same"
            row = table[(loc, name, cmp)]
            checked += 1
            ok = (row["flag"] == flag and abs(float(row["diff_low"]) - lo * k) <= 1e-4 * max(1, abs(lo * k))
                  and abs(float(row["diff_high"]) - hi * k) <= 1e-4 * max(1, abs(hi * k)))
            if not ok:
                bad += 1
                if bad <= 5:
                    print("differs:", name, loc, cmp, row["flag"], flag, row["diff_low"], lo * k, row["diff_high"], hi * k)
print(f"recomputed {checked} tested cells independently: {bad} differ from indicators.csv")
sys.exit(1 if bad else 0)
