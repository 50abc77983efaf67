#!/bin/sh
# run.sh: the session core's primitives beside libsignal's, as a table
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/protocol/run.sh [BUILD-DIR] [SECONDS] [ROUNDS]
#
# Runs bench-protocol (C) and bench-libsignal.mjs (Node, libsignal from
# tests/interop/node_modules) in alternation, ROUNDS times (default 3),
# and prints operations per second for both and their ratio.  Each
# figure is the best round's: on a shared machine a round can lose time
# to other processes, never gain it.  BUILD-DIR (default build-bench) is
# configured as a release build when it does not exist yet: figures from
# a debug or sanitizer build say nothing about speed.  SECONDS (default
# 2) is how long each operation runs in each round.
set -eu

. "$(dirname "$0")/../common.sh"

seconds=${2:-2}
rounds=${3:-3}

release_build "$build" bench/protocol/bench-protocol

[ -f "$top/tests/interop/node_modules/@signalapp/libsignal-client/package.json" ] || {
  echo "run.sh: libsignal is not installed; run 'npm ci' in $top/tests/interop" >&2
  exit 1
}

sotto=$(mktemp)
libsignal=$(mktemp)
trap 'rm -f "$sotto" "$libsignal"' EXIT

one_round () {
  "$build/bench/protocol/bench-protocol" "$seconds" >>"$sotto"
  node "$top/bench/protocol/bench-libsignal.mjs" "$seconds" >>"$libsignal"
}
repeat "$rounds" one_round

cpu_line
echo "Best of $rounds rounds of ${seconds} s per operation"
echo "Sotto: $build ($buildtype); libsignal: @signalapp/libsignal-client $(node -p "require('$top/tests/interop/node_modules/@signalapp/libsignal-client/package.json').version") on Node $(node --version)"
echo
awk "$best_of_two"'
  NR != FNR {
    derived[$1] = ($3 == "derived")
    any_derived = any_derived || derived[$1]
  }
  END {
    printf "| %-18s | %12s | %16s | %15s |\n", "Operation", "Sotto ops/s", "libsignal ops/s", "Sotto/libsignal"
    print "|--------------------|-------------:|-----------------:|----------------:|"
    for (i = 1; i <= n; i++) {
      op = order[i]
      mark = derived[op] ? "*" : ""
      if (op in second)
        printf "| %-18s | %12.0f | %16s | %15s |\n", op, first[op],
               sprintf("%.0f%s", second[op], mark), sprintf("%.2f%s", first[op] / second[op], mark)
      else
        printf "| %-18s | %12.0f | %16s | %15s |\n", op, first[op], "n/a", "n/a"
    }
    if (any_derived)
      print "\n\\* derived: libsignal has no API for this operation alone; see bench-libsignal.mjs"
  }
' "$sotto" "$libsignal"
