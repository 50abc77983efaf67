#!/bin/sh
# Runs a command beside a PostgreSQL 15 server of its own, made afresh
# in a temporary directory and reachable only through a Unix socket
# there, then stops the server and removes the directory however the
# command ended.  The command finds the server through
# SOTTO_TEST_POSTGRESQL_HOST (the socket's directory) and
# SOTTO_TEST_POSTGRESQL_USER (a superuser that needs no password), and
# may stop and start it with SOTTO_TEST_POSTGRESQL_BINDIR's pg_ctl on
# the data directory "data" there, with SOTTO_TEST_POSTGRESQL_OPTIONS.
#
# PostgreSQL refuses to run as root, which CI runs as: the server then
# runs as the "postgres" system user that Debian's postgresql-common
# package makes.  Usage: with-postgresql.sh COMMAND [ARG...]
set -eu

bindir=${SOTTO_POSTGRESQL_BINDIR:-/usr/lib/postgresql/15/bin}
if [ ! -x "$bindir/initdb" ]; then
  echo "with-postgresql.sh: no $bindir/initdb (build-aux/install-deps.sh test installs postgresql-15)" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/sotto-pg-XXXXXX")

as_server() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cleanup() {
  # The server is stopped without a checkpoint: its data goes next.
  as_server "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
# A timeout or ^C still stops the server: the EXIT trap runs on exit.
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
fi
# A SIGKILL (what meson sends a test that outlives its timeout) runs no
# trap: a watcher in a session of its own stops the server and removes
# the directory once this script is gone, however it went.
setsid sh -c '
  while kill -0 "$1" 2>/dev/null; do sleep 1; done
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$2/pg_ctl" -D "$3/data" -m immediate -w stop
  else
    "$2/pg_ctl" -D "$3/data" -m immediate -w stop
  fi
  rm -rf "$3"' with-postgresql-watcher $$ "$bindir" "$dir" </dev/null >/dev/null 2>&1 &
if ! as_server "$bindir/initdb" -D "$dir/data" -U sotto --auth=trust -E UTF8 --no-locale \
     >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2
  exit 1
fi
# Durability stays as in production (fsync and synchronous_commit on):
# the tests check that nothing answered is lost.
options="-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=40 -c shared_buffers=16MB"
if ! as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s -o "$options" start; then
  cat "$dir/server.log" >&2
  exit 1
fi

export SOTTO_TEST_POSTGRESQL_HOST="$dir"
export SOTTO_TEST_POSTGRESQL_USER=sotto
# For the tests that stop the server and start it again.
export SOTTO_TEST_POSTGRESQL_BINDIR="$bindir"
export SOTTO_TEST_POSTGRESQL_OPTIONS="$options"
status=0
"$@" || status=$?
exit $status
