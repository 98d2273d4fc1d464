#!/usr/bin/env bash
# The GeoJSON of `localities run` on the embedded Stirling data, checked
# by tools other than ours: scripts/check_geojson.sh (two npm RFC 7946
# validators, the right-hand rule, no crs member, six decimals, every
# position inside Scotland), and one feature per row of localities.csv
# with the same codes in the same order.  Skipped (77) where node/npm or
# the npm registry are not to be had.
# Usage: check_geojson_rfc7946.sh LOCALITIES_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"
"$bin" run --quiet --out "$out" >/dev/null
set +e
sh scripts/check_geojson.sh "$out/localities.geojson"
rc=$?
set -e
[ $rc = 2 ] && { echo "check_geojson.sh could not run; skipped"; exit 77; }
[ $rc = 0 ] || exit 1
node - "$out/localities.geojson" "$out/localities.csv" <<'JS'
const fs = require('fs');
const gj = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const rows = fs.readFileSync(process.argv[3], 'utf8').trim().split('\n').slice(1);
const codes = rows.map(r => r.split(',')[0]);
const ids = gj.features.map(f => f.id === f.properties.code ? f.id : `id ${f.id} with code ${f.properties.code}`);
if (ids.length !== codes.length) { console.log(`${ids.length} features, ${codes.length} localities`); process.exit(1); }
for (let i = 0; i < ids.length; i++)
  if (ids[i] !== codes[i]) { console.log(`feature ${i}: ${ids[i]}, localities.csv row ${i}: ${codes[i]}`); process.exit(1); }
console.log(`${ids.length} features, one per locality, in localities.csv order`);
JS
