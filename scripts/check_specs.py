#!/usr/bin/env python3
"""Check the indicator spec files in data/specs/ against the real indicator files.

Usage: scripts/check_specs.py [SCOTLAND_DATA_DIR]

SCOTLAND_DATA_DIR defaults to $LOCALITIES_SCOTLAND_DATA, then to
<repo>/../shared/data/scotland.  For each spec it

  * validates the spec rows against the format in data/specs/README.md,
  * checks that every named column (or one of its |-alternatives) is in the
    indicator file's header, byte for byte (after removing a UTF-8 BOM),
  * counts missing (suppressed) cells per named column,
  * for proportions, lists rows whose numerator exceeds the denominator and
    rows whose denominator is zero; for rates, rows with a zero denominator.

Exit status 0 when every spec is valid and every column is found, 1 otherwise.
The indicator files are read the way the engine has to read them: BOM removed,
CRLF and bare CR turned into LF, rows whose first cell starts with '#'
(publisher footnotes) skipped.
"""
import csv
import io
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# spec file -> indicator files (relative to the Scotland data dir, or repo-relative
# when starting with "data/")
SPEC_FILES = {
    "simd2020v2.csv": ["simd/simd2020v2_withinds.csv",
                       "data/stirling/simd2020v2_stirling.csv"],
    "simd2016.csv": ["simd/simd2016_withinds.csv"],
    "simd2012.csv": ["simd/simd2012_withinds.csv"],
}

TYPES = {"zone", "population", "council", "proportion", "rate", "ratio",
         "mean", "share"}
SPEC_COLUMNS = ["name", "label", "type", "numerator", "denominator", "value",
                "weight", "threshold", "per", "worse", "method"]
COLUMN_FIELDS = ["numerator", "denominator", "value", "weight"]
MISSING = {"", "*", "NA", "N/A", "n/a", "na", "#VALUE!", "..", ".", "-", "x"}
NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")
THOU_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?%?$")


def read_text(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    text = raw.decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_csv(path):
    rows = list(csv.reader(io.StringIO(read_text(path))))
    header = rows[0]
    body = [r for r in rows[1:]
            if any(c != "" for c in r) and not r[0].startswith("#")]
    return header, body


def parse_number(cell):
    """Return (value or None, kind) the way the engine should parse a cell."""
    s = cell.strip()
    if s in MISSING:
        return None, "missing"
    if NUM_RE.match(s):
        return float(s.rstrip("%")), "percent" if s.endswith("%") else "number"
    if THOU_RE.match(s):
        return float(s.rstrip("%").replace(",", "")), "thousands"
    return None, "junk"


def read_spec(path):
    """Parse and validate a spec file; return (rows, errors)."""
    errors = []
    rows = list(csv.reader(io.StringIO(read_text(path))))
    if not rows:
        return [], ["empty file"]
    head = [h.strip().lower() for h in rows[0]]
    for need in ("name", "type"):
        if need not in head:
            errors.append("header lacks column '%s'" % need)
    for h in head:
        if h and h not in SPEC_COLUMNS:
            errors.append("unknown column '%s' (ignored)" % h)
    if len(set(h for h in head if h)) != len([h for h in head if h]):
        errors.append("duplicate header column")
    out, names = [], set()
    counts = {"zone": 0, "population": 0, "council": 0}
    for lineno, r in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in r):
            continue
        d = {c: "" for c in SPEC_COLUMNS}
        if any(c.strip() for c in r[len(head):]):
            errors.append("line %d: non-empty cell beyond the header (unquoted comma?)" % lineno)
        for i, h in enumerate(head):
            if h in d and i < len(r):
                d[h] = r[i]
        for k in ("name", "type", "threshold", "per", "worse", "method"):
            d[k] = d[k].strip()
        for k in ("type", "worse", "method"):
            d[k] = d[k].lower()
        if d["name"].startswith("#"):
            continue
        where = "line %d (%s)" % (lineno, d["name"])
        if not re.fullmatch(r"[a-z0-9_]{1,63}", d["name"]):
            errors.append("%s: bad name" % where)
        if d["name"] in names:
            errors.append("%s: duplicate name" % where)
        names.add(d["name"])
        t = d["type"]
        if t not in TYPES:
            errors.append("%s: bad type '%s'" % (where, t))
            continue
        need = {"zone": ["value"], "population": ["value"], "council": ["value"],
                "proportion": ["numerator", "denominator", "worse"],
                "rate": ["numerator", "denominator", "per", "worse"],
                "ratio": ["value", "worse"], "mean": ["value", "worse"],
                "share": ["value", "threshold", "worse"]}[t]
        allowed = set(need) | {"name", "label", "type"}
        if t in ("ratio", "mean"):
            allowed |= {"weight", "method"}
        if t == "share":
            allowed |= {"weight"}
        for k in need:
            if d[k] == "":
                errors.append("%s: type %s needs '%s'" % (where, t, k))
        for k in SPEC_COLUMNS:
            if k not in allowed and d[k].strip() != "":
                errors.append("%s: '%s' must be empty for type %s" % (where, k, t))
        for k in COLUMN_FIELDS:
            if d[k] and "" in d[k].split("|"):
                errors.append("%s: empty alternative in %s" % (where, k))
        if d["worse"] and d["worse"] not in ("higher", "lower"):
            errors.append("%s: worse must be higher or lower" % where)
        if d["method"] and d["method"] not in ("none", "normal"):
            errors.append("%s: method must be none or normal" % where)
        if t == "rate":
            try:
                if float(d["per"]) <= 0:
                    raise ValueError
            except ValueError:
                errors.append("%s: per must be a positive number" % where)
        if t == "share":
            try:
                float(d["threshold"])
            except ValueError:
                errors.append("%s: threshold must be a number" % where)
        if t in counts:
            counts[t] += 1
        out.append(d)
    for t in ("zone", "population"):
        if counts[t] != 1:
            errors.append("need exactly one %s row, found %d" % (t, counts[t]))
    if counts["council"] > 1:
        errors.append("at most one council row, found %d" % counts["council"])
    return out, errors


def resolve(cell, header):
    for alt in cell.split("|"):
        if alt in header:
            return alt
    return None


def check(spec_path, data_path):
    ok = True
    spec, errors = read_spec(spec_path)
    for e in errors:
        print("  SPEC ERROR:", e)
        if "ignored" not in e:
            ok = False
    header, body = read_csv(data_path)
    print("  %d data rows, %d header columns" % (len(body), len(header)))
    idx = {h: i for i, h in enumerate(header)}

    def column(name):
        i = idx[name]
        return [parse_number(r[i] if i < len(r) else "") for r in body]

    seen = {}
    for d in spec:
        for k in COLUMN_FIELDS:
            if not d[k]:
                continue
            col = resolve(d[k], header)
            if col is None:
                print("  MISSING COLUMN: %s.%s = %r" % (d["name"], k, d[k]))
                ok = False
                continue
            d[k + "_col"] = col
            if col not in seen and d["type"] not in ("zone", "council"):
                vals = column(col)
                kinds = {}
                for v, kind in vals:
                    kinds[kind] = kinds.get(kind, 0) + 1
                seen[col] = kinds
    print("  columns: all named columns found" if ok else "  columns: PROBLEMS")
    print("  missing/odd cells per numeric column (missing = %s):"
          % " ".join(sorted(repr(m) for m in MISSING)))
    for col, kinds in seen.items():
        extra = {k: v for k, v in kinds.items() if k not in ("number",)}
        if extra:
            print("    %-70r %s" % (col, extra))
    zi = idx[resolve(next(d for d in spec if d["type"] == "zone")["value"], header)]
    for d in spec:
        if d["type"] not in ("proportion", "rate") or "numerator_col" not in d \
                or "denominator_col" not in d:
            continue
        num = column(d["numerator_col"])
        den = column(d["denominator_col"])
        over, zero = [], []
        for r, (n, _), (m, _) in zip(body, num, den):
            if n is None or m is None:
                continue
            if m == 0:
                zero.append("%s (%g/%g)" % (r[zi], n, m))
            elif d["type"] == "proportion" and n > m:
                over.append("%s (%g/%g)" % (r[zi], n, m))
        print("  %-20s %s: numerator > denominator in %d rows%s; zero denominator in %d rows%s"
              % (d["name"], d["type"], len(over),
                 (": " + ", ".join(over[:12]) + (" ..." if len(over) > 12 else "")) if over else "",
                 len(zero), (": " + ", ".join(zero)) if zero else ""))
    return ok


def main():
    data_dir = (sys.argv[1] if len(sys.argv) > 1 else
                os.environ.get("LOCALITIES_SCOTLAND_DATA",
                               os.path.join(REPO, "..", "shared", "data", "scotland")))
    ok = True
    for spec_name, files in SPEC_FILES.items():
        spec_path = os.path.join(REPO, "data", "specs", spec_name)
        for f in files:
            path = os.path.join(REPO, f) if f.startswith("data/") else os.path.join(data_dir, f)
            print("== data/specs/%s vs %s" % (spec_name, f))
            if not os.path.exists(path):
                print("  (file not found, skipped)")
                continue
            ok = check(spec_path, path) and ok
    print("RESULT:", "OK" if ok else "PROBLEMS FOUND")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
