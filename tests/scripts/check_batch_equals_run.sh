#!/usr/bin/env bash
# Integration check for `batch`: the shipped manifest over the three real
# SIMD releases (2012 on 2001 data zones, 2016 and 2020v2 on 2011 data
# zones) completes, and every release's outputs are byte-for-byte those of
# a single `localities run` with the same inputs (the GeoPackage, whose
# SQLite pages carry write times, is compared feature by feature; the
# report, which names the input paths as given, with the paths left out).  Skipped (exit 77) when
# ../shared is not beside the project.
# Usage: check_batch_equals_run.sh LOCALITIES_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
S="$src/../shared/data/scotland"
[ -d "$S/simd" ] || { echo "no shared data: skipped"; exit 77; }
command -v ogrinfo >/dev/null || { echo "ogrinfo (Debian gdal-bin) is needed to compare the GeoPackages"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"
"$bin" batch data/batch/simd_releases.csv --quiet --out "$out/batch"
"$bin" run --quiet --threads 1 --out "$out/simd2012" \
    --boundaries "$S/boundaries/dz2001_scotland_martinjc.gpkg" --indicators "$S/simd/simd2012_withinds.csv" \
    --spec data/specs/simd2012.csv --respect "$S/simd/simd2012_withinds.csv:Intermediate Geography name:soft" >/dev/null
"$bin" run --quiet --out "$out/simd2016" --boundaries data/scotland/dz2011_scotland_simplified.gpkg \
    --indicators "$S/simd/simd2016_withinds.csv" --spec data/specs/simd2016.csv \
    --lookup data/scotland/dz2011_iz2011_council_lookup.csv >/dev/null 2>&1
"$bin" run --quiet --out "$out/simd2020v2" --boundaries data/scotland/dz2011_scotland_simplified.gpkg \
    --indicators data/scotland/simd2020v2_withinds.csv --spec data/specs/simd2020v2.csv \
    --lookup data/scotland/dz2011_iz2011_council_lookup.csv >/dev/null
fail=0
for r in simd2012 simd2016 simd2020v2; do
  for f in "$out/$r"/*; do
    name=$(basename "$f")
    case "$name" in
      *.gpkg)
        same=0
        cmp -s <(ogrinfo -al -q "$f" | grep -v '^INFO') <(ogrinfo -al -q "$out/batch/$r/$name" | grep -v '^INFO') && same=1 ;;
      report.html)
        same=0
        strip='s|<td>[^<]*/[^<]*</td>||g'
        cmp -s <(sed "$strip" "$f") <(sed "$strip" "$out/batch/$r/$name") && same=1 ;;
      run.json)
        # the command, times and path spellings differ; the inputs' digests
        # and the outputs must not
        same=0
        rec='/"sha256": "\|"outputs"/!d; s/.*\("sha256": "[0-9a-f]*"\).*/\1/'
        cmp -s <(sed "$rec" "$f" | sort) <(sed "$rec" "$out/batch/$r/$name" | sort) && same=1 ;;
      *) same=0; cmp -s "$f" "$out/batch/$r/$name" && same=1 ;;
    esac
    if [ $same = 0 ]; then echo "$r/$name differs between batch and run"; fail=1; fi
  done
  echo "$r: $(($(wc -l < "$out/$r/zones.csv") - 1)) zones, outputs identical"
done
exit $fail
