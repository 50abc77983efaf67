#!/bin/sh
# run-session.sh: Sotto's sessions beside libsignal's and libolm's
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/protocol/run-session.sh [BUILD-DIR] [SECONDS]
#
# Runs bench-session (Sotto), bench-olm (libolm, when it was built: the
# libolm-dev package) and bench-session-libsignal.mjs (libsignal through
# Node, from tests/interop/node_modules) one after the other in the same
# run, and prints each operation's time and the ratios.  BUILD-DIR
# (default build-bench) is configured as a release build when it does not
# exist yet.  SECONDS (default 5) is how long each operation runs.
set -eu

. "$(dirname "$0")/../common.sh"

seconds=${2:-5}

release_build "$build" bench/protocol/bench-session
olm=false
if ninja -C "$build" -t targets all 2>/dev/null | grep -q '^bench/protocol/bench-olm:'; then
  ninja -C "$build" bench/protocol/bench-olm >/dev/null
  olm=true
fi

[ -f "$top/tests/interop/node_modules/@signalapp/libsignal-client/package.json" ] || {
  echo "run-session.sh: libsignal is not installed; run 'npm ci' in $top/tests/interop" >&2
  exit 1
}

sotto=$(mktemp)
libolm=$(mktemp)
libsignal=$(mktemp)
trap 'rm -f "$sotto" "$libolm" "$libsignal"' EXIT

"$build/bench/protocol/bench-session" "$seconds" >"$sotto"
if $olm; then
  "$build/bench/protocol/bench-olm" "$seconds" >"$libolm"
fi
node "$top/bench/protocol/bench-session-libsignal.mjs" "$seconds" >"$libsignal"

cpu_line
echo "Sotto: $build; libsignal $(node -p "require('$top/tests/interop/node_modules/@signalapp/libsignal-client/package.json').version") on Node $(node --version); libolm: $($olm && echo "$(pkg-config --modversion olm 2>/dev/null || echo yes)" || echo "not built")"
echo
awk '
  FILENAME == ARGV[1] { sotto[$1] = $2; order[++n] = $1; next }
  FILENAME == ARGV[2] { olm[$1] = $2; next }
  { libsignal[$1] = $2 }
  function us(rate) { return rate > 0 ? sprintf("%.1f", 1e6 / rate) : "n/a" }
  function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", a / b) : "n/a" }
  END {
    printf "| %-16s | %10s | %14s | %11s | %15s | %11s |\n", "Operation (us)", "Sotto", "libsignal", "libolm",
           "libsignal/Sotto", "libolm/Sotto"
    printf "|%s|%s|%s|%s|%s|%s|\n", "------------------", "-----------:", "---------------:", "------------:",
           "----------------:", "-------------:"
    for (i = 1; i <= n; i++) {
      op = order[i]
      printf "| %-16s | %10s | %14s | %11s | %15s | %11s |\n", op, us(sotto[op]), us(libsignal[op]), us(olm[op]),
             ratio(sotto[op], libsignal[op]), ratio(sotto[op], olm[op])
    }
    print "\nTimes per operation (best of 5 rounds); a ratio above 1 means Sotto is faster."
  }
' "$sotto" "$libolm" "$libsignal"
