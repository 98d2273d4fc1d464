#!/usr/bin/env bash
# One entry point for the README's two commands:
#   scripts/bootstrap.sh run    install what is missing, build, run on the embedded data
#   scripts/bootstrap.sh test   install what is missing, build, run every test
# Options after the verb:
#   --sanitize   (test) build and test with address + undefined sanitizers
#   --build DIR  build folder (default build, or build-asan with --sanitize)
# Anything after `--` is passed to the localities command (run).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
verb=${1:-run}
shift || true
sanitize=0
build=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=1 ;;
    --build) build=$2; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "bootstrap.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$build" ] || build=$([ $sanitize = 1 ] && echo build-asan || echo build)
case "$build" in /*) ;; *) build="$here/$build" ;; esac

# Debian 12 packages the project needs to build and test (gdal-bin: ogrinfo,
# which the integration checks use to compare GeoPackages feature by feature;
# libjemalloc-dev: the tool's allocator, see CMakeLists.txt).
packages=(build-essential cmake pkg-config libgdal-dev libgeos-dev libproj-dev libcsv-dev libcmocka-dev gdal-bin
  libjemalloc-dev)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "bootstrap: installing ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

configure_and_build() {
  local type=RelWithDebInfo flags=()
  if [ $sanitize = 1 ]; then type=Debug; flags+=(-DLOC_SANITIZE=ON); fi
  # CI builds with warnings as errors; an analyst's compiler may know warnings ours does not
  if [ "${CI:-}" = true ]; then flags+=(-DLOC_WERROR=ON); else flags+=(-DLOC_WERROR=OFF); fi
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=$type "${flags[@]}" >/dev/null
  cmake --build "$build" -j"$(nproc)"
}

install_missing
configure_and_build

case "$verb" in
  run)
    cd "$here"
    exec "$build/localities" "${extra[@]}"
    ;;
  test)
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    cd "$build"
    exec ctest --output-on-failure -j"$(nproc)"
    ;;
  *)
    echo "bootstrap.sh: unknown verb '$verb' (run or test)" >&2
    exit 2
    ;;
esac
