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

# The UI tests run one at a time (each drives a real window and waits on
# it), but beside the rest of the suite rather than alone: most tests wait
# on relays, timers and other processes, so the two cores would otherwise
# idle through most of the UI tests' time.  Each half keeps its own log.
run_tree() {
  dbus-run-session -- xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" \
    sh -c '
      meson test --no-rebuild --print-errorlogs --no-suite app "$@" &
      rest=$!
      meson test --no-rebuild --print-errorlogs --suite app \
        --num-processes 1 --logbase testlog-app "$@"
      ui=$?
      wait $rest
      exit $(( $? | ui ))' run_tree "$@"
}

run_tree -C build
run_tree -C build-sanitize --no-suite fuzz --timeout-multiplier 4
if meson test -C build-sanitize --suite fuzz --list 2>/dev/null | grep -q "fuzz-"; then
  SOTTO_FUZZ_SECONDS=${SOTTO_FUZZ_SECONDS:-15} run_suite -C build-sanitize --suite fuzz --num-processes 2
fi
