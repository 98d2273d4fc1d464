#!/bin/sh
# Validate GeoJSON files against RFC 7946 with two independent npm
# validators (@placemarkio/check-geojson, geojson-validation), plus the
# checks neither makes: the right-hand rule (exterior rings
# counter-clockwise, holes clockwise), no crs member, at most six decimals
# in coordinates, every position inside Scotland's longitude/latitude box.
# The packages go into a cache folder outside the repository, installed
# with npm on first use.
#
# Usage: scripts/check_geojson.sh FILE.geojson...
# Exit status: 0 valid, 1 problems found, 2 usage or no node/npm.
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 FILE.geojson..." >&2
    exit 2
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "check_geojson: needs node and npm (apt-get install nodejs npm)" >&2
    exit 2
fi
cache=${XDG_CACHE_HOME:-$HOME/.cache}/localities-geojson-check
if [ ! -d "$cache/node_modules/@placemarkio/check-geojson" ] || [ ! -d "$cache/node_modules/geojson-validation" ]; then
    mkdir -p "$cache" &&
        npm install --prefix "$cache" --no-audit --no-fund --silent @placemarkio/check-geojson@0.1.14 \
            geojson-validation@1.0.2 >&2 || {
        echo "check_geojson: npm install failed" >&2
        exit 2
    }
fi

NODE_PATH="$cache/node_modules" node - "$@" <<'EOF'
const fs = require('fs');
const { check } = require('@placemarkio/check-geojson');
const gjv = require('geojson-validation');
let bad = 0;
// twice the signed area: positive for a counter-clockwise ring
const area2 = r => { let s = 0; for (let i = 0; i + 1 < r.length; i++) s += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1]; return s; };
for (const path of process.argv.slice(2)) {
  const text = fs.readFileSync(path, 'utf8');
  const problems = [];
  try { check(text); } catch (e) { (e.issues || [{ message: String(e) }]).forEach(i => problems.push('check-geojson: ' + i.message)); }
  const obj = JSON.parse(text);
  gjv.valid(obj, true).forEach(e => problems.push('geojson-validation: ' + e));
  if ('crs' in obj) problems.push('has a crs member');
  let rings = 0, positions = 0;
  for (const f of obj.features || []) {
    const g = f.geometry;
    if (!g) continue;
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    for (const p of polys)
      p.forEach((r, i) => {
        rings++;
        if ((area2(r) > 0) !== (i === 0)) problems.push(`feature ${f.id}: ring ${i} breaks the right-hand rule`);
        for (const [x, y] of r) {
          positions++;
          if (!(x >= -9 && x <= 0 && y >= 54.5 && y <= 61)) problems.push(`feature ${f.id}: position ${x},${y} outside Scotland`);
        }
      });
  }
  // coordinates only: properties (flat objects here) may carry full precision
  const m = text.replace(/"properties": *\{[^}]*\}/g, '').match(/-?\d+\.(\d{7,})/);
  if (m) problems.push('a number with more than six decimals: ' + m[0]);
  console.log(`${path}: ${(obj.features || []).length} features, ${rings} rings, ${positions} positions: ` +
              (problems.length ? `${problems.length} problems` : 'valid RFC 7946'));
  problems.slice(0, 10).forEach(p => console.log('  ' + p));
  bad += problems.length;
}
process.exit(bad ? 1 : 0);
EOF
