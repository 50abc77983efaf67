#!/bin/sh
# Runs one libFuzzer binary for a bounded time.  New inputs go to a
# scratch directory in the build tree; the committed seed corpus is only
# read.
# Usage: run-fuzzer.sh FUZZER SEED_CORPUS SCRATCH_DIR
set -eu
fuzzer=$1
seeds=$2
scratch=$3
seconds=${SOTTO_FUZZ_SECONDS:-60}

mkdir -p "$scratch"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$scratch" "$seeds"
