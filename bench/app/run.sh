#!/bin/sh
# run.sh: the app's start-up, a 100,000-message conversation and search,
# beside the same measurements of a baseline revision (default: main)
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/app/run.sh [BUILD-DIR] [N_MESSAGES]
#        BASELINE=REV bench/app/run.sh ...
#
# Configures BUILD-DIR (default build-bench) as a release build when it
# does not exist, and the same for REV (git archive into
# BUILD-DIR/baseline), then runs each bench-app under Xvfb on the private
# session bus of the UI tests (no keyring, so the app asks for the
# passphrase) and prints one table: the baseline's figure beside this
# tree's, "—" where the baseline has no such measurement.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$top/build-bench"}
messages=${2:-100000}
baseline=${BASELINE:-main}
revision=$(git -C "$top" rev-parse --short "$baseline")
baseline_build="$build/baseline/$revision"

[ -f "$build/build.ninja" ] || meson setup "$build" "$top" --buildtype=release >/dev/null
ninja -C "$build" bench/app/bench-app data/gschemas.compiled >/dev/null

if [ ! -f "$baseline_build/build/build.ninja" ]; then
  rm -rf "$baseline_build"
  mkdir -p "$baseline_build/source"
  git -C "$top" archive "$revision" | tar -x -C "$baseline_build/source"
  meson setup "$baseline_build/build" "$baseline_build/source" --buildtype=release >/dev/null
fi
ninja -C "$baseline_build/build" bench/app/bench-app data/gschemas.compiled >/dev/null

run_bench () {
  GSETTINGS_SCHEMA_DIR="$1/data" GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1 GTK_A11Y=none \
    dbus-run-session --config-file="$top/tests/app/session-bus.conf" -- \
    xvfb-run -a -s "-screen 0 1280x1024x24" "$1/bench/app/bench-app" "$messages" 2>/dev/null
}

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
run_bench "$baseline_build/build" >"$results/baseline"
run_bench "$build" >"$results/current"

# Tables of "| measurement | result |" rows, joined on the measurement.
awk -v baseline="$baseline ($revision)" '
  function parse(line,  i) {
    if (line !~ /^\| / || line ~ /^\|---/)
      return 0
    sub(/^\| /, "", line)
    sub(/ \|$/, "", line)
    i = index(line, " | ")
    name = substr(line, 1, i - 1)
    value = substr(line, i + 3)
    return name != "measurement"
  }
  FNR == NR { if (parse($0)) before[name] = value; next }
  FNR == 1 { printf "| measurement | %s | this tree |\n|---|---|---|\n", baseline }
  parse($0) { printf "| %s | %s | %s |\n", name, (name in before) ? before[name] : "—", value }
' "$results/baseline" "$results/current"
