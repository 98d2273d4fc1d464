#!/usr/bin/env bash
# Runs one command-line golden case: tests/cli/NAME.case.
# Usage: run_cli_case.sh LOCALITIES_BINARY CASE_FILE SOURCE_DIR
#
# A case file has lines of the form `key: value`:
#   args: ...            arguments (word-split by the shell; no quoting needed for our paths)
#   exit: N              expected exit status
#   stdout: TEXT         one expected line of stdout (repeat for more; exact, whole output)
#   stdout-file: PATH    expected stdout in a file (relative to tests/cli)
#   stdout-contains: T   a line of stdout must contain T
#   no-stdout:           stdout must be empty (a failed command prints no partial report)
#   stderr: TEXT         one expected line of stderr (repeat; exact, whole output)
#   stderr-contains: T   stderr must contain T
#   no-output: DIR       DIR must not exist after the run (no partial output)
#   requires: PATH       skip the case (exit 77) when PATH, relative to SOURCE_DIR, is
#                        missing: the full Scotland files in ../shared are not everywhere
# @TMP@ anywhere in the case stands for a fresh temporary folder, removed
# afterwards: cases write their outputs there, never to fixed paths.
# The command runs in SOURCE_DIR so that relative paths in messages are stable.
set -u
bin=$1 case_file=$2 src=$3
cd "$src" || exit 1
tmpd=$(mktemp -d)
case=$(mktemp)
sed "s#@TMP@#$tmpd#g" "$case_file" >"$case"
for r in $(sed -n 's/^requires: //p' "$case"); do
  if [ ! -e "$r" ]; then
    echo "skipped: $r is missing"; rm -rf "$tmpd" "$case"; exit 77
  fi
done
args=$(sed -n 's/^args: //p' "$case")
want_exit=$(sed -n 's/^exit: //p' "$case")
out=$(mktemp) err=$(mktemp)
trap 'rm -rf "$out" "$err" "$case" "$tmpd"' EXIT
for d in $(sed -n 's/^no-output: //p' "$case"); do rm -rf "$d"; done
# shellcheck disable=SC2086
"$bin" $args >"$out" 2>"$err"
got_exit=$?
fail=0
if [ "$got_exit" != "$want_exit" ]; then
  echo "exit status $got_exit, expected $want_exit"; fail=1
fi
if grep -q '^stdout: \|^stdout:$' "$case"; then
  if ! diff -u <(sed -n 's/^stdout: \{0,1\}//p' "$case") "$out"; then echo "stdout differs"; fail=1; fi
fi
f=$(sed -n 's/^stdout-file: //p' "$case")
if [ -n "$f" ] && ! diff -u "$(dirname "$case_file")/$f" "$out"; then echo "stdout differs from $f"; fail=1; fi
if grep -q '^no-stdout:' "$case" && [ -s "$out" ]; then echo "stdout not empty"; fail=1; fi
while IFS= read -r t; do
  grep -qF -- "$t" "$out" || { echo "stdout lacks: $t"; fail=1; }
done < <(sed -n 's/^stdout-contains: //p' "$case")
if grep -q '^stderr: ' "$case"; then
  if ! diff -u <(sed -n 's/^stderr: //p' "$case") "$err"; then echo "stderr differs"; fail=1; fi
fi
while IFS= read -r t; do
  grep -qF -- "$t" "$err" || { echo "stderr lacks: $t"; fail=1; }
done < <(sed -n 's/^stderr-contains: //p' "$case")
for d in $(sed -n 's/^no-output: //p' "$case"); do
  [ -e "$d" ] && { echo "output left behind: $d"; fail=1; }
done
if [ $fail = 1 ]; then echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; fi
exit $fail
