#!/bin/sh
# run.sh: the app's start-up and a 100,000-message conversation
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/app/run.sh [BUILD-DIR] [N_MESSAGES]
#
# Configures BUILD-DIR (default build-bench) as a release build when it
# does not exist, then runs bench-app under Xvfb on the private session
# bus of the UI tests (no keyring, so the app asks for the passphrase).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$top/build-bench"}
messages=${2:-100000}

[ -f "$build/build.ninja" ] || meson setup "$build" "$top" --buildtype=release >/dev/null
ninja -C "$build" bench/app/bench-app data/gschemas.compiled >/dev/null

export GSETTINGS_SCHEMA_DIR="$build/data"
export GSETTINGS_BACKEND=memory
export NO_AT_BRIDGE=1
export GTK_A11Y=none
exec dbus-run-session --config-file="$top/tests/app/session-bus.conf" -- \
  xvfb-run -a -s "-screen 0 1280x1024x24" "$build/bench/app/bench-app" "$messages"
