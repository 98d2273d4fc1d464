#!/usr/bin/env bash
# No writes through planted links: symbolic links planted in a batch's
# folders at every name a temporary file once had (and at the final names
# of a run's temporaries) point at a file outside; the batch must leave
# that file untouched.
# Usage: check_planted_links.sh LOCALITIES_BINARY SOURCE_DIR
set -uo pipefail
bin=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src" || exit 1
victim="$out/victim.txt"
echo "precious" >"$victim"
mkdir -p "$out/b/stirling_a" "$out/b/stirling_b"
for d in "$out/b/stirling_a" "$out/b/stirling_b"; do
  ln -s "$victim" "$d/.summary.txt.tmp"
done
ln -s "$victim" "$out/b/comparison.csv.tmp"
"$bin" batch tests/cli/data/batch_hold.csv --quiet --hold-localities tests/cli/data/held_stirling_zones.csv \
  --out "$out/b" >/dev/null 2>&1 || { echo "the batch failed"; exit 1; }
if [ "$(cat "$victim")" != "precious" ]; then
  echo "a planted link was written through"
  exit 1
fi
[ -s "$out/b/comparison.csv" ] && [ -s "$out/b/stirling_a/summary.txt" ] || { echo "the batch's files are missing"; exit 1; }
echo "planted links at the old temporary names: the file they point at is untouched"
