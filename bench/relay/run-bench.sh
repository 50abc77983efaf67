#!/bin/sh
# run-bench.sh: sotto-relay on SQLite and PostgreSQL beside Prosody under
# the same loopback load
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/relay/run-bench.sh [BUILD-DIR [PAIRS [RELAY-LOAD OPTION…]]]
#
# Runs relay-load, which starts the sotto-relay of BUILD-DIR on a fresh
# data directory (SQLite), one, two and three relay nodes on one fresh
# database each of a private PostgreSQL 15 started here, and uses a
# private Prosody started here, with the same PAIRS (default 100)
# sender/receiver pairs.  All of them first take turns in the closed loop,
# in rounds (relay-load-rounds.c: --rounds, default 7, of
# --round-seconds, default 2, each), so that the other work on the
# machine weighs on all alike, and relay-load prints the durable
# envelopes a second of each (median, lowest, highest) and their ratios
# to SQLite's round by round.  Then it measures one SQLite relay and
# Prosody through every phase and prints those figures, and issue 20's
# targets for everyday rates (CPU per message at 2,000 a second against
# the closed loop's and Prosody's, latency p99 at 1,000 and 5,000 a
# second) beside the time one fdatasync takes on this disk, measured
# alone before any server starts.  Latencies at fixed rates run from
# each message's due time, and each such phase also says how late the
# load generator's own sends left, how close together the slowest 1 %
# were due, and how long the server's threads waited for a core.  BUILD-DIR (default build-bench) is configured
# as a release build when it does not exist yet: figures from a debug or
# sanitizer build say nothing about speed.  The figures go into
# docs/performance.md.
#
# Prosody runs from its own configuration and data directory under a
# temporary directory, listens for clients on one free 127.0.0.1 port
# only, and is stopped with everything else when the script exits.
# Without a `prosody` binary the Sotto figures are printed alone; without
# PostgreSQL 15 (SOTTO_POSTGRESQL_BINDIR, default
# /usr/lib/postgresql/15/bin) the SQLite relay is measured alone.
#
# PostgreSQL keeps production's durability (fsync, synchronous_commit and
# full_page_writes on: a figure counts envelopes committed to disk) and
# is tuned for a bench only where durability does not depend on it; see
# docs/performance.md.  It listens on a Unix socket in a directory of its
# own, and runs as the "postgres" user when the script runs as root.
#
# The script ends on its own whatever its servers do: every wait has a
# bound (BENCH_TIMEOUT seconds, default 1800, for the whole load run;
# 60 s for each Prosody and PostgreSQL tool; 10 s for Prosody to stop
# before it is killed, and for PostgreSQL to stop before it is stopped
# without a checkpoint).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$top/build-bench"}
pairs=${2:-100}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift

[ -f "$build/build.ninja" ] || meson setup "$build" "$top" --buildtype=release >/dev/null
ninja -C "$build" bench/relay/relay-load src/relay/sotto-relay >/dev/null

case $(meson introspect --buildoptions "$build" | grep -o '"name": "buildtype", "value": "[a-z]*"') in
  *release*|*debugoptimized*) ;;
  *) echo "warning: $build is not a release build; its figures are not representative" >&2 ;;
esac

load="$build/bench/relay/relay-load"
relay="$build/src/relay/sotto-relay"
password=bench-password-0123456789
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sotto-bench-XXXXXX")
prosody_pid=
pg_bindir=${SOTTO_POSTGRESQL_BINDIR:-/usr/lib/postgresql/15/bin}
# PostgreSQL's own directory: Prosody's is given to the prosody user.
pg=

bench_timeout=${BENCH_TIMEOUT:-1800}

# Prosody sometimes hangs while it shuts down: it gets 10 s, then
# SIGKILL.
stop_prosody () {
  kill "$prosody_pid" 2>/dev/null || return 0
  tries=0
  while kill -0 "$prosody_pid" 2>/dev/null && [ "$tries" -lt 100 ]; do
    sleep 0.1
    tries=$((tries + 1))
  done
  kill -KILL "$prosody_pid" 2>/dev/null || true
  wait "$prosody_pid" 2>/dev/null || true
}

as_postgres () {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

stop_postgresql () {
  as_postgres "$pg_bindir/pg_ctl" -D "$pg/data" -m fast -t 10 -w stop >/dev/null 2>&1 ||
    as_postgres "$pg_bindir/pg_ctl" -D "$pg/data" -m immediate -t 10 -w stop >/dev/null 2>&1 || true
}

cleanup () {
  if [ -n "$prosody_pid" ]; then
    stop_prosody
  fi
  if [ -n "$pg" ]; then
    stop_postgresql
    rm -rf "$pg"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port () {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_prosody () {
  port=$(free_port)
  mkdir -p "$tmp/data/localhost/accounts" "$tmp/certs"
  cat > "$tmp/prosody.cfg.lua" <<EOF
-- A private, loopback-only Prosody for the relay benchmark.
pidfile = "$tmp/prosody.pid"
data_path = "$tmp/data"
certificates = "$tmp/certs"
interfaces = { "127.0.0.1" }
c2s_ports = { $port }
network_backend = "epoll"
-- Plain TCP with SASL PLAIN: loopback only, and the relay is measured
-- without TLS too.
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
modules_enabled = { "saslauth" }
modules_disabled = { "s2s", "s2s_auth_certs", "offline" }
log = { warn = "$tmp/prosody.log" }
VirtualHost "localhost"
EOF
  # prosodyctl switches to the prosody user when run as root.
  if [ "$(id -u)" -eq 0 ]; then
    chown -R prosody:prosody "$tmp"
  fi

  # Two registrations at a time keep both cores busy.
  i=0
  while [ "$i" -lt "$pairs" ]; do
    echo "sender$i"
    echo "receiver$i"
    i=$((i + 1))
  done | xargs -P 2 -I USER sh -c \
    'timeout -k 5 60 prosodyctl --config "$0" register USER localhost "$1" >/dev/null 2>&1 || { echo "cannot register USER" >&2; exit 255; }' \
    "$tmp/prosody.cfg.lua" "$password"

  # Prosody's own descriptor limit bounds how many clients it takes.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  # Prosody refuses to run as root; as root, run it as its own user.
  # Either way the command is exec'd, so $! is Prosody itself.
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=prosody --regid=prosody --init-groups \
      prosody --config "$tmp/prosody.cfg.lua" -F >"$tmp/prosody.out" 2>&1 &
  else
    prosody --config "$tmp/prosody.cfg.lua" -F >"$tmp/prosody.out" 2>&1 &
  fi
  prosody_pid=$!
  tries=0
  until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ] || ! kill -0 "$prosody_pid" 2>/dev/null; then
      echo "Prosody did not start:" >&2
      cat "$tmp/prosody.out" "$tmp/prosody.log" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.1
  done
  version=$(timeout -k 5 60 prosodyctl --config "$tmp/prosody.cfg.lua" about 2>/dev/null | sed -n 's/^Prosody \([0-9][0-9.]*\)$/\1/p')
  echo "# Prosody $version, pid $prosody_pid, 127.0.0.1:$port"
}

# Settings, each for a reason (docs/performance.md says more):
# fsync, synchronous_commit and full_page_writes stay on, as in
# production; shared_buffers holds the whole bench's data; max_wal_size
# keeps a checkpoint out of the measured phases; max_connections covers
# three nodes' connections.
pg_options="-c listen_addresses='' -c fsync=on -c synchronous_commit=on -c full_page_writes=on \
-c shared_buffers=128MB -c max_wal_size=1GB -c max_connections=100"

start_postgresql () {
  pg=$(mktemp -d "${TMPDIR:-/tmp}/sotto-bench-pg-XXXXXX")
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$pg"
  fi
  if ! as_postgres timeout -k 5 60 "$pg_bindir/initdb" -D "$pg/data" -U sotto --auth=trust -E UTF8 \
       --no-locale >"$pg/initdb.log" 2>&1; then
    cat "$pg/initdb.log" >&2
    exit 1
  fi
  if ! as_postgres "$pg_bindir/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -t 60 -s \
       -o "$pg_options -c unix_socket_directories='$pg'" start; then
    cat "$pg/server.log" >&2
    exit 1
  fi
  pg_pid=$(head -n 1 "$pg/data/postmaster.pid")
  pg_args="--postgresql-pid $pg_pid"
  for nodes in 1 2 3; do
    timeout -k 5 60 "$pg_bindir/createdb" -h "$pg" -U sotto "bench$nodes"
    pg_args="$pg_args --postgresql postgresql:///bench$nodes?host=$pg&user=sotto"
  done
  echo "# PostgreSQL $("$pg_bindir/postgres" --version | sed -n "s/^postgres (PostgreSQL) \([0-9.]*\).*/\1/p"), pid $pg_pid, $pg_options"
}

echo "# $(uname -srm), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# load at the start: $(uptime)"
pg_args=
if [ -x "$pg_bindir/initdb" ]; then
  start_postgresql
else
  echo "# PostgreSQL 15 is not installed; measuring sotto-relay on SQLite only"
fi
# pg_args holds no spaces but between its words.
# shellcheck disable=SC2086
if command -v prosody >/dev/null 2>&1; then
  start_prosody
  timeout -k 10 "$bench_timeout" "$load" --relay "$relay" --pairs "$pairs" $pg_args \
    --xmpp-name prosody --xmpp-port "$port" --xmpp-pid "$prosody_pid" \
    --xmpp-domain localhost --xmpp-password "$password" "$@"
else
  echo "# prosody is not installed; measuring sotto-relay alone"
  timeout -k 10 "$bench_timeout" "$load" --relay "$relay" --pairs "$pairs" $pg_args "$@"
fi
echo "# load at the end: $(uptime)"
