#!/usr/bin/env bash
# The same zones in other formats give the same localities: the embedded
# Stirling boundaries written by ogr2ogr as a FlatGeobuf (whose spatial
# index stores the features in space order, not code order), a Shapefile
# and a GeoJSON in WGS 84 longitude/latitude, each run like the
# GeoPackage, must give byte-for-byte the same zones.csv, localities.csv,
# indicators.csv, graph.csv and localities.geojson, and (FlatGeobuf and
# Shapefile) the same localities.gpkg feature by feature.  Needs ogr2ogr
# (Debian gdal-bin, installed by scripts/bootstrap.sh).
# Usage: check_format_independence.sh LOCALITIES_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
command -v ogr2ogr >/dev/null || { echo "ogr2ogr (Debian gdal-bin) is needed"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"
gpkg=data/stirling/dz2011_stirling.gpkg
ogr2ogr -f FlatGeobuf "$out/zones.fgb" "$gpkg"
ogr2ogr -f "ESRI Shapefile" "$out/zones.shp" "$gpkg"
ogr2ogr -f GeoJSON -t_srs EPSG:4326 "$out/zones.geojson" "$gpkg"
args=(--quiet --indicators data/scotland/simd2020v2_withinds.csv --lookup data/scotland/dz2011_iz2011_council_lookup.csv)
"$bin" run "${args[@]}" --boundaries "$gpkg" --out "$out/gpkg" >/dev/null 2>&1
fail=0
for f in fgb shp geojson; do
  "$bin" run "${args[@]}" --boundaries "$out/zones.$f" --out "$out/$f" >/dev/null 2>&1
  for x in zones.csv localities.csv indicators.csv overdispersion.csv graph.csv localities.geojson; do
    cmp -s "$out/gpkg/$x" "$out/$f/$x" || { echo "$f: $x differs from the GeoPackage run"; fail=1; }
  done
  # the GeoPackage feature by feature (its bytes carry write times); not for
  # the GeoJSON source, whose zones came back from WGS 84 a little moved
  if [ "$f" != geojson ] && ! cmp -s <(ogrinfo -al -q "$out/gpkg/localities.gpkg" | grep -v '^INFO') \
      <(ogrinfo -al -q "$out/$f/localities.gpkg" | grep -v '^INFO'); then
    echo "$f: localities.gpkg differs from the GeoPackage run"; fail=1
  fi
done
[ $fail = 0 ] && echo "FlatGeobuf, Shapefile and GeoJSON (WGS 84) runs equal the GeoPackage run"
exit $fail
