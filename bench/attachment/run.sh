#!/bin/sh
# run.sh: attachment encryption beside Node's crypto module, as a table
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/attachment/run.sh [BUILD-DIR] [MEGABYTES] [ROUNDS]
#
# Runs bench-attachment (C, on the core's libgcrypt) and
# bench-attachment.mjs (Node, on OpenSSL) in alternation, ROUNDS times
# (default 5), each on an attachment of MEGABYTES (default 100), and
# prints encryption and decryption throughput for both and their ratio,
# per second of wall-clock time and (rows *_cpu) per second of the
# process's processor time, which a loaded machine disturbs less.
# Each figure is the best round's: on a shared machine a round can lose
# time to other processes, never gain it.  BUILD-DIR (default
# build-bench) is configured as a release build when it does not exist
# yet.
set -eu

. "$(dirname "$0")/../common.sh"

megabytes=${2:-100}
rounds=${3:-5}

release_build "$build" bench/attachment/bench-attachment

sotto=$(mktemp)
node=$(mktemp)
trap 'rm -f "$sotto" "$node"' EXIT

one_round () {
  "$build/bench/attachment/bench-attachment" "$megabytes" >>"$sotto"
  node "$top/bench/attachment/bench-attachment.mjs" "$megabytes" >>"$node"
}
repeat "$rounds" one_round

cpu_line
echo "Best of $rounds rounds, $megabytes MB streamed 1 MiB at a time"
echo "Sotto: $build ($buildtype), $(pkg-config --modversion libgcrypt 2>/dev/null | sed 's/^/libgcrypt /'); Node $(node --version), OpenSSL $(node -p process.versions.openssl)"
echo
awk "$best_of_two"'
  END {
    printf "| %-11s | %11s | %19s | %10s |\n", "Direction", "Sotto MB/s", "Node (OpenSSL) MB/s", "Sotto/Node"
    print "|-------------|------------:|--------------------:|-----------:|"
    for (i = 1; i <= n; i++)
      printf "| %-11s | %11.0f | %19.0f | %10.2f |\n", order[i], first[order[i]], second[order[i]], first[order[i]] / second[order[i]]
  }
' "$sotto" "$node"
