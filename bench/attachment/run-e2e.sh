#!/bin/sh
# run-e2e.sh: attachments end to end through a local relay, as a table
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/attachment/run-e2e.sh [BUILD-DIR] [MEGABYTES] [ROUNDS]
#
# Runs bench-attachment-e2e ROUNDS times (default 3) against a fresh
# sotto-relay each time, with a file of MEGABYTES (default 100): the
# engine's upload (encrypted into the profile, created, sent) and
# download (fetched, checked, decrypted), each beside the peer, the same
# relay client moving the plaintext as a blob without encryption; then
# ten engine uploads at once, with the relay's resident memory idle and
# at its peak.  Throughputs are the best round's, memory the worst's.
# The *_cpu rows divide by the bench process's processor time (the
# client's work, not the relay's) instead of wall-clock time, which a
# loaded machine disturbs far less.
# When PostgreSQL 15 is installed, the same rounds run again with the
# relay keeping its blobs in PostgreSQL, each on a fresh database of a
# server that build-aux/with-postgresql.sh starts with the tests' settings
# (fsync on, 16 MB of shared buffers), and a line gives their figures.
# BUILD-DIR (default build-bench) is configured as a release build when
# it does not exist yet.
set -eu

. "$(dirname "$0")/../common.sh"

megabytes=${2:-100}
rounds=${3:-3}

release_build "$build" bench/attachment/bench-attachment-e2e src/relay/sotto-relay

figures=$(mktemp)
pg_figures=$(mktemp)
trap 'rm -f "$figures" "$pg_figures"' EXIT

one_round () {
  "$build/bench/attachment/bench-attachment-e2e" --relay "$build/src/relay/sotto-relay" \
    --megabytes "$megabytes" >>"$figures"
}
repeat "$rounds" one_round

if [ -x "${SOTTO_POSTGRESQL_BINDIR:-/usr/lib/postgresql/15/bin}/initdb" ]; then
  "$top/build-aux/with-postgresql.sh" sh -c '
    for round in $(seq "$1"); do
      "$SOTTO_TEST_POSTGRESQL_BINDIR/createdb" -h "$SOTTO_TEST_POSTGRESQL_HOST" -U "$SOTTO_TEST_POSTGRESQL_USER" "bench$round"
      "$2" --relay "$3" --megabytes "$4" \
        --database "postgresql:///bench$round?host=$SOTTO_TEST_POSTGRESQL_HOST&user=$SOTTO_TEST_POSTGRESQL_USER"
    done' pg-rounds "$rounds" "$build/bench/attachment/bench-attachment-e2e" "$build/src/relay/sotto-relay" \
    "$megabytes" >>"$pg_figures"
fi

cpu_line
echo "Best of $rounds rounds, a $megabytes MB file; Sotto: $build ($buildtype)"
echo "Peer: the same relay client moving the plaintext as a blob, without encryption"
echo
awk -v megabytes="$megabytes" '
  $1 ~ /MBps$/ { if ($2 > best[$1]) best[$1] = $2; next }
  { if ($2 > worst[$1]) worst[$1] = $2 }
  END {
    printf "| %-12s | %10s | %14s | %10s |\n", "Direction", "Sotto MB/s", "plaintext MB/s", "Sotto/peer"
    print "|--------------|-----------:|---------------:|-----------:|"
    split("upload download upload_cpu download_cpu", directions, " ")
    for (i = 1; i <= 4; i++)
      {
        d = directions[i]
        printf "| %-12s | %10.0f | %14.0f | %10.2f |\n", d, best["sotto_" d "_MBps"], best["plain_" d "_MBps"],
               best["sotto_" d "_MBps"] / best["plain_" d "_MBps"]
      }
    print ""
    printf "Ten %d MB engine uploads at once: %.0f MB/s together; relay resident memory %.1f MiB idle, %.1f MiB at its peak (%.2f× idle, for %d MB in flight)\n",
           megabytes, best["parallel_upload_MBps"], worst["relay_rss_idle_MiB"], worst["relay_rss_peak_MiB"],
           worst["relay_rss_peak_MiB"] / worst["relay_rss_idle_MiB"], 10 * megabytes
  }
' "$figures"
if [ -s "$pg_figures" ]; then
  awk '
    $1 ~ /MBps$/ { if ($2 > best[$1]) best[$1] = $2; next }
    { if ($2 > worst[$1]) worst[$1] = $2 }
    END {
      printf "\nThe relay on PostgreSQL (one node): upload %.0f MB/s, download %.0f MB/s (plaintext peer %.0f and %.0f MB/s); ten at once %.0f MB/s together, relay resident memory %.1f MiB at its peak\n",
             best["sotto_upload_MBps"], best["sotto_download_MBps"], best["plain_upload_MBps"], best["plain_download_MBps"],
             best["parallel_upload_MBps"], worst["relay_rss_peak_MiB"]
    }
  ' "$pg_figures"
fi
