#!/bin/sh
# Runs one libFuzzer binary for a bounded time.  New inputs go to a
# scratch directory in the build tree; the committed seed corpus is only
# read.
# Usage: run-fuzzer.sh FUZZER SEED_CORPUS SCRATCH_DIR
set -eu
fuzzer=$1
seeds=$2
scratch=$3
seconds=${SOTTO_FUZZ_SECONDS:-30}

mkdir -p "$scratch"
# libFuzzer reports a crash or a timeout with exit status 77 by default,
# which meson counts as a skipped test: a finding must fail the suite.
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -print_final_stats=1 "$scratch" "$seeds"
