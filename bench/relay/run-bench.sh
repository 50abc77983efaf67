#!/bin/sh
# Runs the sotto-relay load benchmark on loopback.  Use an optimised
# build; the figures go into docs/performance.md.
#
#   meson setup build-release --buildtype=release
#   ninja -C build-release src/relay/sotto-relay bench/relay/relay-load
#   bench/relay/run-bench.sh build-release [PAIRS]
set -eu

build=${1:?usage: run-bench.sh BUILD_DIR [PAIRS]}
pairs=${2:-100}

echo "# $(uname -srm), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
"$build/bench/relay/relay-load" "$build/src/relay/sotto-relay" "$pairs" 2>/dev/null
