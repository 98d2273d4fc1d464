#!/bin/sh
# make_data.sh — rebuild data/ from the shared Scotland data folder.
#
# Usage: scripts/make_data.sh [SCOTLAND_DATA_DIR]
#
# SCOTLAND_DATA_DIR is the folder laid out like ../shared/data/scotland
# (simd/, boundaries/, lookups/).  Default: $LOCALITIES_SCOTLAND_DATA if set,
# else <repo>/../shared/data/scotland.
#
# Writes (and overwrites):
#   data/scotland/dz2011_scotland_simplified.gpkg   copy
#   data/scotland/simd2020v2_withinds.csv           byte-for-byte copy (BOM, CRLF kept)
#   data/scotland/dz2011_iz2011_council_lookup.csv  copy
#   data/stirling/dz2011_stirling.gpkg              Stirling (S12000030) zones, layer dz2011
#   data/stirling/simd2020v2_stirling.csv           header + Stirling rows, byte-for-byte
#   data/stirling/lookup_stirling.csv               header + Stirling lookup rows, byte-for-byte
#   data/stirling/ward_stirling.csv                 header + Stirling rows of the ward lookup
#                                                   (lookups/dz2011_ward_lookup.csv if present, else
#                                                   the DERIVED best-fit lookup)
#
# Needs: sh, python3, ogr2ogr (GDAL).  Deterministic: running it twice gives
# identical bytes (the GeoPackage timestamp is pinned with OGR_CURRENT_DATE;
# the same GDAL version is needed for identical GeoPackage bytes).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-${LOCALITIES_SCOTLAND_DATA:-$here/../shared/data/scotland}}
council=S12000030          # Stirling
out_scot=$here/data/scotland
out_stir=$here/data/stirling
# Fixed GeoPackage timestamp (gpkg_contents.last_change): the date the source
# geometry last changed upstream (geographr boundaries_dz11, 2022-03-24).
OGR_CURRENT_DATE=2022-03-24T00:00:00.000Z
export OGR_CURRENT_DATE

die() { echo "make_data.sh: $*" >&2; exit 1; }

command -v python3 >/dev/null 2>&1 || die "python3 not found"
command -v ogr2ogr >/dev/null 2>&1 || die "ogr2ogr (GDAL) not found"
[ -d "$src" ] || die "source folder not found: $src (pass it as an argument or set LOCALITIES_SCOTLAND_DATA)"
src=$(cd "$src" && pwd)

simd=$src/simd/simd2020v2_withinds.csv
dzgpkg=$src/boundaries/dz2011_scotland_simplified.gpkg
lookup=$src/lookups/dz2011_iz2011_council_lookup.csv
# Ward lookup: an official DZ -> ward lookup in the same layout (columns
# dz11_code, ward22_code, ward22_name) is used when present, otherwise the
# DERIVED best-fit lookup.
wards=$src/lookups/dz2011_ward_lookup.csv
[ -f "$wards" ] || wards=$src/lookups/DERIVED_dz2011_to_ward2022_bestfit.csv
for f in "$simd" "$dzgpkg" "$lookup" "$wards"; do
    [ -f "$f" ] || die "missing input: $f"
done

mkdir -p "$out_scot" "$out_stir"
tmp=$(mktemp -d "$here/data/.make_data.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# --- data/scotland: plain copies -------------------------------------------
cp "$dzgpkg" "$tmp/dz2011_scotland_simplified.gpkg"
cp "$simd" "$tmp/simd2020v2_withinds.csv"
cp "$lookup" "$tmp/dz2011_iz2011_council_lookup.csv"

# --- data/stirling: CSV subsets (byte-for-byte rows) ------------------------
python3 - "$council" "$simd" "$lookup" "$wards" "$tmp" <<'PY'
import csv, io, sys

council, simd, lookup, wards, tmp = sys.argv[1:6]

def records(path):
    """Yield (raw_bytes_of_line_including_ending, parsed_fields) per line.
    Line ends CRLF, LF or bare CR are kept as they are in the file."""
    raw = open(path, "rb").read()
    bom = b""
    if raw.startswith(b"\xef\xbb\xbf"):
        bom, raw = raw[:3], raw[3:]
    lines = raw.splitlines(keepends=True)
    for i, line in enumerate(lines):
        text = line.decode("utf-8").rstrip("\r\n")
        if text.count('"') % 2:
            sys.exit("make_data.sh: %s line %d: quoted line break not supported" % (path, i + 1))
        fields = next(csv.reader([text])) if text else []
        yield (bom + line if i == 0 else line), fields

def subset(path, key_column, keep, out_name):
    """Write header + rows whose key_column value satisfies keep(); return kept keys."""
    it = records(path)
    head_raw, head = next(it)
    if key_column not in head:
        sys.exit("make_data.sh: %s has no column %s (header: %s)" % (path, key_column, head))
    k = head.index(key_column)
    kept, out = [], [head_raw]
    for raw, f in it:
        if not f or f[0].startswith("#"):
            continue
        if len(f) > k and keep(f):
            kept.append(f[k])
            out.append(raw)
    with open(tmp + "/" + out_name, "wb") as fh:
        fh.write(b"".join(out))
    return kept

# lookup rows for the council give the zone list
head = next(records(lookup))[1]
ci = head.index("ltla20_code")
codes = subset(lookup, "dz11_code", lambda f: f[ci] == council, "lookup_stirling.csv")
if not codes:
    sys.exit("make_data.sh: no zones for council %s in %s" % (council, lookup))
want = set(codes)
if len(want) != len(codes):
    sys.exit("make_data.sh: duplicate zone codes in lookup")

def check(name, got):
    if sorted(got) != sorted(codes):
        sys.exit("make_data.sh: %s: %d rows, expected %d (missing: %s)" %
                 (name, len(got), len(codes), sorted(want - set(got))[:10]))

k = next(records(simd))[1].index("Data_Zone")
check("simd2020v2_stirling.csv",
      subset(simd, "Data_Zone", lambda f: f[k] in want, "simd2020v2_stirling.csv"))
k = next(records(wards))[1].index("dz11_code")
check("ward_stirling.csv",
      subset(wards, "dz11_code", lambda f: f[k] in want, "ward_stirling.csv"))

with open(tmp + "/codes.txt", "w") as fh:
    fh.write("\n".join(codes) + "\n")
PY

# --- data/stirling: boundary subset -----------------------------------------
# SQL IN list of the zone codes (codes are S01 + digits: no quoting issues).
inlist=$(sed "s/.*/'&'/" "$tmp/codes.txt" | paste -sd, -)
ogr2ogr -f GPKG -nln dz2011 -where "dz11_code IN ($inlist)" \
    "$tmp/dz2011_stirling.gpkg" "$dzgpkg" dz2011
n=$(ogrinfo -ro -so "$tmp/dz2011_stirling.gpkg" dz2011 | sed -n 's/^Feature Count: //p')
want=$(wc -l < "$tmp/codes.txt" | tr -d ' ')
[ "$n" = "$want" ] || die "dz2011_stirling.gpkg has $n features, expected $want"

# --- move into place ---------------------------------------------------------
for f in dz2011_scotland_simplified.gpkg simd2020v2_withinds.csv dz2011_iz2011_council_lookup.csv; do
    chmod 644 "$tmp/$f"
    mv -f "$tmp/$f" "$out_scot/$f"
done
for f in dz2011_stirling.gpkg simd2020v2_stirling.csv lookup_stirling.csv ward_stirling.csv; do
    chmod 644 "$tmp/$f"
    mv -f "$tmp/$f" "$out_stir/$f"
done

cmp -s "$simd" "$out_scot/simd2020v2_withinds.csv" || die "copy of SIMD file differs"
echo "make_data.sh: data/scotland and data/stirling rebuilt from $src ($want Stirling zones; wards from $(basename "$wards"))"
