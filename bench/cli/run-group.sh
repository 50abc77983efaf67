#!/bin/sh
# run-group.sh: a message to a group of 100 members, and the sender key's
# rotation after a removal, through a local relay
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/cli/run-group.sh [BUILD-DIR] [MEMBERS] [MESSAGES]
#
# Runs bench-group, which starts the sotto-relay of BUILD-DIR on loopback
# with a fresh data directory, registers MEMBERS (default 100) accounts
# and a sender, makes a group of them, and times its messages (MESSAGES,
# default 20, before and after a removal).  BUILD-DIR (default
# build-bench) is configured as a release build when it does not exist
# yet: figures from a debug or sanitizer build say nothing about speed.
# The group cipher's own cost beside libsignal's is bench/protocol/run.sh.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$top/build-bench"}
members=${2:-100}
messages=${3:-20}

[ -f "$build/build.ninja" ] || meson setup "$build" "$top" --buildtype=release >/dev/null
ninja -C "$build" bench/cli/bench-group src/relay/sotto-relay >/dev/null
case $(meson introspect --buildoptions "$build" | grep -o '"name": "buildtype", "value": "[a-z]*"') in
  *release*|*debugoptimized*) ;;
  *) echo "warning: $build is not a release build; its figures are not representative" >&2 ;;
esac

exec "$build/bench/cli/bench-group" "$build/src/relay/sotto-relay" "$members" "$messages"
