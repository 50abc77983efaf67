#!/bin/sh
# run.sh: end-to-end send latency through a local relay, as a table, and
# a burst beside the same burst on another revision
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/cli/run.sh [BUILD-DIR] [N-MESSAGES] [BURST]
#
# Runs bench-send, which starts the sotto-relay of BUILD-DIR on loopback
# with a fresh data directory, registers two accounts in fresh profiles
# and times N-MESSAGES (default 200) messages from one to the other, one
# after the other, then BURST (default 5000) handed over at once, then 20
# sotto-cli send processes.  BUILD-DIR (default build-bench) is
# configured as a release build when it does not exist yet: figures from
# a debug or sanitizer build say nothing about speed.
#
# Then the same burst runs on the revision BASELINE names (default main,
# the figure the burst is measured against; BASELINE= skips it): its
# tree is exported with git archive into BUILD-DIR/baseline-src, built
# there as a release build, and its own bench-send is run.  An older
# bench-send takes one count for both parts, so its sequential part sends
# BURST messages too, and it does not lift the relay's limits on
# requests per address, password checks per account and sends per pair of
# accounts, which a burst meets: its relay is started through a wrapper
# that adds those lines to the relay.conf the bench writes.  Both figures are printed last, side
# by side.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$top/build-bench"}
messages=${2:-200}
burst=${3:-5000}
baseline=${BASELINE-main}

release_check () {
  case $(meson introspect --buildoptions "$1" | grep -o '"name": "buildtype", "value": "[a-z]*"') in
    *release*|*debugoptimized*) ;;
    *) echo "warning: $1 is not a release build; its figures are not representative" >&2 ;;
  esac
}

[ -f "$build/build.ninja" ] || meson setup "$build" "$top" --buildtype=release >/dev/null
ninja -C "$build" bench/cli/bench-send src/relay/sotto-relay src/cli/sotto-cli >/dev/null
release_check "$build"

output=$("$build/bench/cli/bench-send" "$build/src/relay/sotto-relay" "$build/src/cli/sotto-cli" \
         "$messages" "$burst")
printf '%s\n' "$output"

[ -n "$baseline" ] || exit 0

commit=$(git -C "$top" rev-parse --verify "$baseline^{commit}")
source_dir="$build/baseline-src"
baseline_build="$build/baseline"
if [ "$(cat "$source_dir/.commit" 2>/dev/null || true)" != "$commit" ]; then
  rm -rf "$source_dir" "$baseline_build"
  mkdir -p "$source_dir"
  git -C "$top" archive "$commit" | tar -x -C "$source_dir"
  echo "$commit" > "$source_dir/.commit"
fi
[ -f "$baseline_build/build.ninja" ] || meson setup "$baseline_build" "$source_dir" --buildtype=release >/dev/null
ninja -C "$baseline_build" bench/cli/bench-send src/relay/sotto-relay src/cli/sotto-cli >/dev/null

wrapper="$baseline_build/sotto-relay-for-bench"
cat > "$wrapper" <<EOF
#!/bin/sh
# Lifts the limits a burst meets to the relay.conf bench-send wrote (its
# arguments are --listen ADDRESS --data-dir DIR).
printf 'address-requests=100000/100000\naccount-password-checks=100000/100000\npair-sends=100000/100000\n' \
  >> "\$4/relay.conf"
exec "$baseline_build/src/relay/sotto-relay" "\$@"
EOF
chmod +x "$wrapper"

baseline_output=$("$baseline_build/bench/cli/bench-send" "$wrapper" "$baseline_build/src/cli/sotto-cli" "$burst")

echo
echo "$burst messages handed over at once, drained end to end (accepted by the relay, then stored by the recipient):"
printf '  this tree:              %s\n' "$(printf '%s\n' "$output" | grep 'at once:' | sed 's/^[0-9]* messages at once: //')"
printf '  %-23s %s\n' "$baseline ($(printf '%.7s' "$commit")):" \
       "$(printf '%s\n' "$baseline_output" | grep 'at once:' | sed 's/^[0-9]* messages at once: //')"
