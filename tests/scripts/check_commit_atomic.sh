#!/usr/bin/env bash
# The output folder changes as one set.  Two reference sets are made (the
# default run, A, and a run with another ceiling, B).  Then:
#  * kill -9 at every step of B's commit into a folder holding A (the test
#    hook LOCALITIES_TEST_COMMIT_PAUSE_MS pauses before each step): every
#    time, the folder holds all of A or all of B, and the user's own file;
#    the next run removes the staging folder the killed one left;
#  * two runs into one folder at once, with slow commits: one whole set;
#  * SIGTERM and SIGINT while the outputs are being written: exit 128 + the
#    signal, the previous set untouched, no staging folder left, and no
#    output folder left where the run created it.
# Usage: check_commit_atomic.sh LOCALITIES_BINARY SOURCE_DIR
set -uo pipefail
bin=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src" || exit 1
export SOURCE_DATE_EPOCH=1700000000
fail() { echo "FAIL: $*"; exit 1; }

# digests of a set's files that do not carry the time of the run
digest() { (cd "$1" && sha256sum zones.csv localities.csv indicators.csv graph.csv localities.geojson report.html 2>/dev/null); }
"$bin" run --quiet --out "$tmp/A" >/dev/null 2>&1 || fail "run A failed"
"$bin" run --quiet --max-pop 7000 --out "$tmp/B" >/dev/null 2>&1 || fail "run B failed"
dA=$(digest "$tmp/A") dB=$(digest "$tmp/B")
[ "$dA" != "$dB" ] || fail "the two reference sets are the same"

which_set() {
  local d
  d=$(digest "$1")
  if [ "$d" = "$dA" ]; then echo A; elif [ "$d" = "$dB" ]; then echo B; else echo mixed; fi
}

# wait until a staging folder of out (beside it) holds the whole run.json
# (its last member, the outputs, written after the inputs' digests, which
# take seconds in a sanitizer build): the commit's steps begin
wait_commit() {
  local parent=$1 name=$2 i
  for i in $(seq 1 6000); do
    grep -qs '"outputs"' "$parent"/.$name.localities-run-*/run.json && return 0
    sleep 0.01
  done
  return 1
}

# steps: a user file carried, the swap, after the swap, and beyond; on a
# loaded machine a commit can start late, so kills go on (up to ten steps)
# until two in a row have found the new set
seen_new=0
for k in $(seq 0 9); do
  [ $seen_new -ge 2 ] && break
  rm -rf "$tmp/o" && cp -r "$tmp/A" "$tmp/o" && echo mine >"$tmp/o/notes.txt"
  LOCALITIES_TEST_COMMIT_PAUSE_MS=300 "$bin" run --quiet --max-pop 7000 --out "$tmp/o" >/dev/null 2>&1 &
  pid=$!
  wait_commit "$tmp" o || { kill -9 $pid; fail "the commit never began"; }
  ms=$((k * 300 + 150))
  sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  set_now=$(which_set "$tmp/o")
  [ "$set_now" != mixed ] || fail "killed at step $k of the commit, the folder mixes the two sets"
  [ "$(cat "$tmp/o/notes.txt" 2>/dev/null)" = mine ] || fail "killed at step $k, the user's file is lost"
  if [ "$set_now" = B ]; then seen_new=$((seen_new + 1)); else seen_new=0; fi
  echo "kill -9 at step $k of the commit: set $set_now, whole"
done
[ $seen_new -ge 1 ] || fail "no kill came after the swap: the test did not reach the end of a commit"

# the next run into the folder removes what the killed one left
"$bin" run --quiet --out "$tmp/o" >/dev/null 2>"$tmp/err" || fail "the run after the kills failed"
compgen -G "$tmp/.o.localities-run-*" >/dev/null && fail "a killed run's staging folder was left in place"
[ "$(which_set "$tmp/o")" = A ] || fail "the run after the kills did not write its set"

# two runs at once into one folder, each commit slow
rm -rf "$tmp/c"
LOCALITIES_TEST_COMMIT_PAUSE_MS=250 "$bin" run --quiet --out "$tmp/c" >/dev/null 2>&1 &
p1=$!
LOCALITIES_TEST_COMMIT_PAUSE_MS=250 "$bin" run --quiet --max-pop 7000 --out "$tmp/c" >/dev/null 2>&1 &
p2=$!
wait $p1 || fail "the first of two racing runs failed"
wait $p2 || fail "the second of two racing runs failed"
r=$(which_set "$tmp/c")
[ "$r" != mixed ] || fail "two runs into one folder mixed their sets"
echo "two racing runs with slow commits: set $r, whole"

# signals while writing (the test hook holds the run once its staging
# folder is made, so that the signal surely comes before the commit): the
# previous set stays, nothing is left behind
for sig in TERM INT; do
  rm -rf "$tmp/s" "$tmp"/.s.localities-run-* && cp -r "$tmp/A" "$tmp/s"
  LOCALITIES_TEST_STAGE_PAUSE_MS=5000 "$bin" run --quiet --max-pop 7000 --out "$tmp/s" >/dev/null 2>&1 &
  pid=$!
  for i in $(seq 1 1500); do compgen -G "$tmp/.s.localities-run-*" >/dev/null && break; sleep 0.01; done
  kill -s $sig $pid
  wait $pid
  st=$?
  want=$((128 + $(kill -l $sig)))
  [ $st = $want ] || fail "SIG$sig: exit status $st, expected $want"
  compgen -G "$tmp/.s.localities-run-*" >/dev/null && fail "SIG$sig left the staging folder"
  [ "$(which_set "$tmp/s")" = A ] || fail "SIG$sig changed the previous set"
  # into a folder the run creates: none left
  LOCALITIES_TEST_STAGE_PAUSE_MS=5000 "$bin" run --quiet --out "$tmp/new" >/dev/null 2>&1 &
  pid=$!
  for i in $(seq 1 1500); do compgen -G "$tmp/.new.localities-run-*" >/dev/null && break; sleep 0.01; done
  kill -s $sig $pid
  wait $pid
  st=$?
  [ $st = $want ] || fail "SIG$sig into a new folder: exit status $st, expected $want"
  [ -e "$tmp/new" ] && fail "SIG$sig left the output folder the run created"
  echo "SIG$sig while writing: exit $st, previous set kept, nothing left behind"
done
echo "the output set changes as one"
