#!/bin/sh
# fetch_official.sh — where the official originals of data/ are published, and
# how to rebuild data/ from them.
#
# This machine has no network, so nothing is downloaded here.  With no
# arguments the script prints the sources and the refresh steps.  Given files
# you downloaded yourself, it converts them into a staging folder laid out like
# ../shared/data/scotland and runs scripts/make_data.sh on it.
#
# Usage:
#   scripts/fetch_official.sh                    print sources and steps
#   scripts/fetch_official.sh [options]          convert downloaded files, rebuild data/
# Options (each optional; inputs not given are taken from the shared folder):
#   --simd FILE            SIMD 2020v2 indicator data: .csv (used as is) or .xlsx
#   --simd-sheet NAME      worksheet of the .xlsx holding the table (default: Data)
#   --boundaries FILE      2011 data zone boundaries: SG_DataZoneBdry_2011.zip, .shp or
#                          any GDAL vector source
#   --boundary-fields C,N  code and name fields of the boundary layer
#                          (default: DataZone,Name)
#   --lookup FILE          data zone -> intermediate zone -> council lookup (.csv or .xlsx)
#   --lookup-sheet NAME    worksheet of an .xlsx lookup (default: first sheet)
#   --lookup-map MAP       column renames, e.g.
#                          dz11_code=DataZone,dz11_name=DZname,iz11_code=IZcode,iz11_name=IZname,ltla20_code=LAcode,ltla20_name=LAname
#   --wards FILE           official data zone -> ward lookup (.csv); with --wards-map
#   --wards-map MAP        renames to dz11_code, ward22_code, ward22_name
#   --shared DIR           shared folder for inputs not given
#                          (default: $LOCALITIES_SCOTLAND_DATA or <repo>/../shared/data/scotland)
#   --stage DIR            staging folder to write (default: a temporary folder, removed at the end)
#   --dry-run              convert into the staging folder, but do not run make_data.sh
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
shared=${LOCALITIES_SCOTLAND_DATA:-$here/../shared/data/scotland}

print_sources() {
cat <<'EOF'
Official sources of the files in data/ (URLs as published at the time of writing;
this machine has no network, so they were not re-checked here: verify before use).

1. SIMD 2020v2 indicator data (data/scotland/simd2020v2_withinds.csv,
   data/stirling/simd2020v2_stirling.csv)
   Scottish Government, "Scottish Index of Multiple Deprivation 2020v2 - indicator data":
     https://www.gov.scot/publications/scottish-index-of-multiple-deprivation-2020v2-indicator-data/
   (a workbook, "SIMD 2020v2 - indicators.xlsx", table on sheet "Data").  Related pages:
     https://www.gov.scot/collections/scottish-index-of-multiple-deprivation-2020/
     https://www.gov.scot/publications/scottish-index-of-multiple-deprivation-2020v2-ranks/
     https://statistics.gov.scot/data/scottish-index-of-multiple-deprivation  (ranks, as linked data)
   The copy used here is the CSV circulated as simd2020_withinds.csv (see data/README.md).
   SIMD 2016 and SIMD 2012 indicator files: the Scottish Government's SIMD 2016 and
   SIMD 2012 pages (older editions; look them up from the SIMD collection page).

2. 2011 data zone boundaries (data/scotland/dz2011_scotland_simplified.gpkg,
   data/stirling/dz2011_stirling.gpkg)
   Scottish Government Spatial Data Infrastructure, "Data Zone Boundaries 2011"
   (SG_DataZone_Bdry_2011), metadata record:
     https://spatialdata.gov.scot/geonetwork/srv/eng/catalog.search#/metadata/7d3e8709-98fa-4d71-867c-d5c8293823f2
   zipped shapefile, as linked from that record at the time of writing:
     https://maps.gov.scot/ATOM/shapefiles/SG_DataZoneBdry_2011.zip
   The official file is full resolution; the copy in data/ is a generalised one
   (about 5% of vertices, topology-preserving).  Converting the official file gives
   a much larger GeoPackage.

3. Data zone -> intermediate zone -> council lookup (data/scotland/dz2011_iz2011_council_lookup.csv,
   data/stirling/lookup_stirling.csv)
   Scottish Government, "SIMD 2020v2 data zone look-up":
     https://www.gov.scot/publications/scottish-index-of-multiple-deprivation-2020v2-data-zone-look-up/
   and the data zone lookup on statistics.gov.scot:
     https://statistics.gov.scot/data/data-zone-lookup
   National Records of Scotland publish the geography lookups behind these (Scottish
   Postcode Directory, data zone and intermediate zone lookups) on the NRS geography
   pages; the NRS website has been reorganised, so find the current page from
   nrscotland.gov.uk (older pages are in the NRS web archive).

4. Wards (data/stirling/ward_stirling.csv) — DERIVED, not official
   Best-fit (largest area overlap) of each data zone to the ONS "Wards (December 2022)
   Boundaries UK BSC" layer, ONS Open Geography Portal: https://geoportal.statistics.gov.uk/
   An official data zone -> multi-member ward lookup, if you obtain one, can be passed
   with --wards (it is then used instead of the derived one).

Refresh steps
  a. Download the files above on a machine with network access.
  b. Convert and rebuild (any subset of the options; the rest come from ../shared):
       scripts/fetch_official.sh --simd 'SIMD 2020v2 - indicators.xlsx' \
           --boundaries SG_DataZoneBdry_2011.zip \
           --lookup lookup.csv --lookup-map dz11_code=...,dz11_name=...,iz11_code=...,iz11_name=...,ltla20_code=...,ltla20_name=...
  c. Check the result: python3 scripts/check_specs.py <staging folder printed by step b, if kept with --stage>
     Note: an .xlsx converted with GDAL stores percentages as fractions (0.08, not 8%),
     and writes LF line ends without a BOM; the engine and the specs must cope.
  d. Update the counts and provenance in data/README.md.
EOF
}

if [ $# -eq 0 ]; then
    print_sources
    exit 0
fi

die() { echo "fetch_official.sh: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

simd='' simd_sheet=Data boundaries='' bfields=DataZone,Name lookup='' lookup_sheet='' lookup_map=''
wards='' wards_map='' stage='' dry=0
while [ $# -gt 0 ]; do
    case $1 in
        --simd) simd=$2; shift 2 ;;
        --simd-sheet) simd_sheet=$2; shift 2 ;;
        --boundaries) boundaries=$2; shift 2 ;;
        --boundary-fields) bfields=$2; shift 2 ;;
        --lookup) lookup=$2; shift 2 ;;
        --lookup-sheet) lookup_sheet=$2; shift 2 ;;
        --lookup-map) lookup_map=$2; shift 2 ;;
        --wards) wards=$2; shift 2 ;;
        --wards-map) wards_map=$2; shift 2 ;;
        --shared) shared=$2; shift 2 ;;
        --stage) stage=$2; shift 2 ;;
        --dry-run) dry=1; shift ;;
        -h|--help) usage ;;
        *) echo "fetch_official.sh: unknown argument: $1" >&2; usage ;;
    esac
done

command -v ogr2ogr >/dev/null 2>&1 || die "ogr2ogr (GDAL) not found"
command -v python3 >/dev/null 2>&1 || die "python3 not found"

keep=1
if [ -z "$stage" ]; then
    stage=$(mktemp -d "${TMPDIR:-/tmp}/localities-official.XXXXXX")
    keep=0
    trap 'rm -rf "$stage"' EXIT
    trap 'exit 1' INT TERM
fi
mkdir -p "$stage/simd" "$stage/boundaries" "$stage/lookups"

abspath() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")"); }

# xlsx -> csv with GDAL (first row is the header)
xlsx_to_csv() {  # in sheet out
    if [ -n "$2" ]; then
        OGR_XLSX_HEADERS=FORCE ogr2ogr -f CSV "$3" "$1" "$2"
    else
        OGR_XLSX_HEADERS=FORCE ogr2ogr -f CSV "$3" "$1"
    fi
}

# rename columns of a CSV (MAP = new=old,...) keeping only the mapped ones, in MAP order;
# with an empty MAP the file must already have the columns listed in $3.
remap_csv() {  # in map required_columns out
    python3 - "$1" "$2" "$3" "$4" <<'PY'
import csv, io, sys
src, mapping, required, out = sys.argv[1:5]
raw = open(src, "rb").read()
if raw.startswith(b"\xef\xbb\xbf"):
    raw = raw[3:]
text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
rows = [r for r in csv.reader(io.StringIO(text)) if r and not r[0].startswith("#")]
head = rows[0]
req = required.split(",")
pairs = [p.split("=", 1) for p in mapping.split(",")] if mapping else [(c, c) for c in req]
missing = [old for new, old in pairs if old not in head] + \
          [c for c in req if c not in [new for new, _ in pairs]]
if missing:
    sys.exit("fetch_official.sh: %s: cannot map columns %s; its header is:\n  %s\n"
             "give a mapping NEW=OLD,... covering %s" % (src, missing, head, req))
idx = [head.index(old) for _, old in pairs]
with open(out, "w", newline="") as f:
    w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow([new for new, _ in pairs])
    for r in rows[1:]:
        w.writerow([r[i] if i < len(r) else "" for i in idx])
PY
}

# --- SIMD ---------------------------------------------------------------------
out=$stage/simd/simd2020v2_withinds.csv
if [ -n "$simd" ]; then
    [ -f "$simd" ] || die "not found: $simd"
    case $simd in
        *.xlsx|*.XLSX) xlsx_to_csv "$simd" "$simd_sheet" "$out"
                       echo "converted $simd (sheet $simd_sheet) -> CSV (percentages become fractions)" ;;
        *) cp "$simd" "$out" ;;
    esac
else
    cp "$shared/simd/simd2020v2_withinds.csv" "$out"
fi

# --- boundaries -----------------------------------------------------------------
out=$stage/boundaries/dz2011_scotland_simplified.gpkg
if [ -n "$boundaries" ]; then
    [ -e "$boundaries" ] || die "not found: $boundaries"
    in=$(abspath "$boundaries")
    case $in in *.zip|*.ZIP) in=/vsizip/$in ;; esac
    layer=$(ogrinfo -ro -q "$in" | sed -n 's/^[0-9]*: \([^ ]*\).*/\1/p' | head -n 1)
    [ -n "$layer" ] || die "no layer found in $boundaries"
    code=${bfields%%,*}; name=${bfields#*,}
    rm -f "$out"
    OGR_CURRENT_DATE=2022-03-24T00:00:00.000Z ogr2ogr -f GPKG -nln dz2011 -nlt MULTIPOLYGON \
        -t_srs EPSG:27700 -makevalid \
        -sql "SELECT \"$name\" AS dz11_name, \"$code\" AS dz11_code FROM \"$layer\"" \
        "$out" "$in"
    echo "converted $boundaries (layer $layer) -> GeoPackage layer dz2011 (full resolution, not simplified)"
else
    cp "$shared/boundaries/dz2011_scotland_simplified.gpkg" "$out"
fi

# --- lookup -----------------------------------------------------------------------
out=$stage/lookups/dz2011_iz2011_council_lookup.csv
if [ -n "$lookup" ]; then
    [ -f "$lookup" ] || die "not found: $lookup"
    in=$lookup
    case $lookup in
        *.xlsx|*.XLSX) in=$stage/lookup_raw.csv; xlsx_to_csv "$lookup" "$lookup_sheet" "$in" ;;
    esac
    remap_csv "$in" "$lookup_map" dz11_name,dz11_code,iz11_name,iz11_code,ltla20_name,ltla20_code "$out"
else
    cp "$shared/lookups/dz2011_iz2011_council_lookup.csv" "$out"
fi

# --- wards ------------------------------------------------------------------------
if [ -n "$wards" ]; then
    [ -f "$wards" ] || die "not found: $wards"
    remap_csv "$wards" "$wards_map" dz11_code,ward22_code,ward22_name "$stage/lookups/dz2011_ward_lookup.csv"
fi
cp "$shared/lookups/DERIVED_dz2011_to_ward2022_bestfit.csv" "$stage/lookups/"
chmod -R u+w "$stage"

echo "staging folder: $stage"
if [ "$dry" = 1 ]; then
    [ "$keep" = 1 ] || echo "(temporary; use --stage DIR to keep it)"
    exit 0
fi
"$here/scripts/make_data.sh" "$stage"
