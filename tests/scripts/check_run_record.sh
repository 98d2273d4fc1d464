#!/usr/bin/env bash
# The output folder belongs to one run: `run` then `assess` into one
# folder leaves exactly the files assess's run.json lists (every one from
# assess), a file the user put there untouched, and the inputs' SHA-256 in
# run.json equal to sha256sum's; `graph` into the same folder then removes
# what assess wrote and graph does not.
# Usage: check_run_record.sh LOCALITIES_BINARY SOURCE_DIR
set -uo pipefail
bin=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src" || exit 1
fail=0
dir="$out/one"
# the outputs listed in run.json, one per line
listed() { sed -n 's/.*"outputs": \[\(.*\)\].*/\1/p' "$dir/run.json" | tr -d '" ' | tr ',' '\n' | sort; }
present() { ls -A "$dir" | grep -v '^mine.txt$' | sort; }
"$bin" run --quiet --out "$dir" >/dev/null 2>&1 || { echo "run failed"; exit 1; }
echo "kept by the user" >"$dir/mine.txt"
"$bin" assess --quiet --localities data/stirling/lookup_stirling.csv --locality-column iz11_code --out "$dir" \
  >/dev/null 2>&1 || { echo "assess failed"; exit 1; }
grep -q '"command": \[.*"assess"' "$dir/run.json" || { echo "run.json does not record assess"; fail=1; }
if ! diff <(listed) <(present) >/dev/null; then
  echo "after assess, the folder and run.json differ:"; diff <(listed) <(present); fail=1
fi
[ "$(cat "$dir/mine.txt")" = "kept by the user" ] || { echo "the user's file was touched"; fail=1; }
# every input's digest is sha256sum's
while IFS='|' read -r path sum; do
  [ "$(sha256sum "$path" | cut -d' ' -f1)" = "$sum" ] || { echo "sha256 of $path differs"; fail=1; }
done < <(sed -n 's/.*"path": "\([^"]*\)", "bytes": [0-9]*, "sha256": "\([0-9a-f]*\)".*/\1|\2/p' "$dir/run.json")
n=$(grep -c '"sha256": "' "$dir/run.json")
[ "$n" -ge 4 ] || { echo "run.json records $n inputs with a digest"; fail=1; }
"$bin" graph --quiet --out "$dir" >/dev/null 2>&1 || { echo "graph failed"; exit 1; }
if ! diff <(listed) <(present) >/dev/null; then
  echo "after graph, the folder and run.json differ:"; diff <(listed) <(present); fail=1
fi
[ -e "$dir/report.html" ] && { echo "report.html from assess survived graph"; fail=1; }
[ -e "$dir/mine.txt" ] || { echo "the user's file was removed"; fail=1; }
[ $fail = 0 ] && echo "run.json lists exactly the files of the last run; the user's file is untouched; $n digests match"
exit $fail
