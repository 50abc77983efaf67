#!/bin/sh
# Runs one command as a single TAP test: its output becomes TAP
# diagnostics and its exit status the verdict.  Lets external validators
# (desktop-file-validate, appstreamcli, glib-compile-schemas, ...) report
# in the same format as the test programs.
# Usage: tap-wrap.sh NAME COMMAND [ARG...]
name=$1
shift
output=$("$@" 2>&1)
status=$?
echo "1..1"
if [ -n "$output" ]; then
  printf '%s\n' "$output" | sed 's/^/# /'
fi
if [ "$status" -eq 0 ]; then
  echo "ok 1 - $name"
else
  echo "not ok 1 - $name (exit status $status)"
fi
exit 0
