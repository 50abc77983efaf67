#!/bin/sh
# The README's test command: installs what the tests need, builds two
# trees and runs the whole suite in both.
#
#   build/           gcc, warnings as errors
#   build-sanitize/  clang with AddressSanitizer and UndefinedBehaviorSanitizer
#                    (leaks are errors), plus a quarter-minute run of every
#                    libFuzzer target, two at a time; the benchmarks are
#                    built only in build/, which keeps them compiling
#
# UI tests get a real X server (Xvfb) inside a private D-Bus session.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

"$top/build-aux/install-deps.sh" test

configure() {
  dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
  ninja -C "$dir"
}

configure build -Dwerror=true
CC=clang configure build-sanitize -Dwerror=true -Dbenchmarks=false \
  -Db_sanitize=address,undefined -Db_lundef=false

run_suite() {
  dbus-run-session -- xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" \
    meson test --print-errorlogs "$@"
}

run_suite -C build
run_suite -C build-sanitize --no-suite fuzz --timeout-multiplier 4
if meson test -C build-sanitize --suite fuzz --list 2>/dev/null | grep -q "fuzz-"; then
  SOTTO_FUZZ_SECONDS=${SOTTO_FUZZ_SECONDS:-15} run_suite -C build-sanitize --suite fuzz --num-processes 2
fi
