#!/bin/sh
# run.sh: end-to-end send latency through a local relay, as a table
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/cli/run.sh [BUILD-DIR] [N-MESSAGES]
#
# Runs bench-send, which starts the sotto-relay of BUILD-DIR on loopback
# with a fresh data directory, registers two accounts in fresh profiles
# and times N-MESSAGES (default 200) messages from one to the other, one
# after the other and then all at once, then as 20 sotto-cli send
# processes.  BUILD-DIR (default build-bench) is configured as a release
# build when it does not exist yet: figures from a debug or sanitizer
# build say nothing about speed.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$top/build-bench"}
messages=${2:-200}

[ -f "$build/build.ninja" ] || meson setup "$build" "$top" --buildtype=release >/dev/null
ninja -C "$build" bench/cli/bench-send src/relay/sotto-relay src/cli/sotto-cli >/dev/null

case $(meson introspect --buildoptions "$build" | grep -o '"name": "buildtype", "value": "[a-z]*"') in
  *release*|*debugoptimized*) ;;
  *) echo "warning: $build is not a release build; its figures are not representative" >&2 ;;
esac

exec "$build/bench/cli/bench-send" "$build/src/relay/sotto-relay" "$build/src/cli/sotto-cli" "$messages"
