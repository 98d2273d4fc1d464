#!/usr/bin/env bash
# An answer written to a full disk is a failure: `info` and `--help` into
# /dev/full exit non-zero and say why, where they once exited 0 with the
# answer lost.  Skipped where /dev/full is missing.
# Usage: check_full_stdout.sh LOCALITIES_BINARY SOURCE_DIR
set -uo pipefail
bin=$1 src=$2
[ -w /dev/full ] || { echo "no /dev/full here; skipped"; exit 77; }
cd "$src" || exit 1
fail=0
for args in "--help" "info --quiet"; do
  # shellcheck disable=SC2086
  "$bin" $args >/dev/full 2>"${TMPDIR:-/tmp}/full.$$"
  rc=$?
  if [ $rc = 0 ] || ! grep -q "cannot write the output: No space left on device" "${TMPDIR:-/tmp}/full.$$"; then
    echo "'localities $args > /dev/full' exited $rc:"; cat "${TMPDIR:-/tmp}/full.$$"; fail=1
  fi
done
rm -f "${TMPDIR:-/tmp}/full.$$"
[ $fail = 0 ] && echo "info and --help into a full disk fail with 'no space left on device'"
exit $fail
