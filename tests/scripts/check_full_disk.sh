#!/usr/bin/env bash
# A full disk is reported as such.  The default run writes into small
# tmpfs mounts (60 KB, 600 KB and 1.2 MB: full while writing a table, the
# GeoPackage and the report): each must fail with exit status 1, say "no
# space left on device" and name the output file, never GDAL's SQL text,
# and leave nothing behind.  Needs root and a mount that the machine allows;
# skipped with a message otherwise.
# Usage: check_full_disk.sh LOCALITIES_BINARY SOURCE_DIR
set -uo pipefail
bin=$1 src=$2
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
mnt=$(mktemp -d)
trap 'cd /; umount "$mnt" 2>/dev/null; rmdir "$mnt"' EXIT
cd "$src" || exit 1
src=$(pwd)
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=60k tmpfs "$mnt" 2>/dev/null; then
  echo "SKIPPED: cannot mount a small tmpfs here (needs root and a machine that allows it)"
  exit 77
fi
umount "$mnt"
for size in 60k 600k 1200k; do
  mount -t tmpfs -o size=$size tmpfs "$mnt" || exit 1
  err=$(cd "$mnt" && LOCALITIES_DATA="$src/data" "$bin" run --quiet --out o 2>&1 >/dev/null)
  st=$?
  cd "$src"
  msg=$(printf '%s\n' "$err" | grep 'error:' | tail -1)
  [ $st = 1 ] || { echo "FAIL: $size disk: exit status $st"; exit 1; }
  printf '%s' "$msg" | grep -qi "no space left on device" || { echo "FAIL: $size disk: '$msg'"; exit 1; }
  printf '%s' "$msg" | grep -q "cannot write 'o/" || { echo "FAIL: $size disk: the message names no output file: '$msg'"; exit 1; }
  printf '%s' "$msg" | grep -qi "sqlite\|INSERT" && { echo "FAIL: $size disk: SQL in the message: '$msg'"; exit 1; }
  left=$(ls -A "$mnt")
  [ -z "$left" ] || { echo "FAIL: $size disk: left behind: $left"; exit 1; }
  echo "$size disk: $msg"
  umount "$mnt"
done
echo "a full disk is named as such and leaves nothing behind"
