#!/bin/sh
# run.sh: a conversation with many messages, as a table
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/engine/run.sh [BUILD-DIR] [N-MESSAGES]
#
# Runs bench-engine, which imports N-MESSAGES (default 100000) into one
# conversation of a fresh profile in a temporary directory and times
# opening it, the first page, the jump to the oldest page, scrolling
# through all of them and a search of their text, with the resident
# memory after each step.
# BUILD-DIR (default build-bench) is configured as a release build when
# it does not exist yet: figures from a debug or sanitizer build say
# nothing about speed.
set -eu

. "$(dirname "$0")/../common.sh"

messages=${2:-100000}

release_build "$build" bench/engine/bench-engine

exec "$build/bench/engine/bench-engine" "$messages"
