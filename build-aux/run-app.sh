#!/bin/sh
# The README's run command: installs what Sotto needs, builds it, starts
# a local relay and opens two Sotto windows, "alice" and "bob", each on
# its own profile, so that a newcomer can chat between them and compare
# safety numbers straight away.
#
# Everything the demo keeps lives in $XDG_DATA_HOME/sotto-demo (by
# default ~/.local/share/sotto-demo); delete that folder to start over.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

"$top/build-aux/install-deps.sh" app

if [ -f build/build.ninja ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build
fi
ninja -C build

demo=${XDG_DATA_HOME:-$HOME/.local/share}/sotto-demo
mkdir -p "$demo/relay" "$demo/alice" "$demo/bob"

# The relay picks a free port and prints it on its first line.
"$top/build/src/relay/sotto-relay" --listen 127.0.0.1:0 --data-dir "$demo/relay" \
  --registration open >"$demo/relay.out" 2>"$demo/relay.log" &
relay=$!
ready=""
while [ -z "$ready" ]; do
  kill -0 "$relay" 2>/dev/null || { cat "$demo/relay.log" >&2; exit 1; }
  ready=$(sed -n 's/^sotto-relay listening on //p' "$demo/relay.out")
  [ -n "$ready" ] || sleep 0.1
done
address=$ready
echo "Local relay on http://$address (data in $demo)"

cleanup() {
  kill "$relay" 2>/dev/null || true
  wait "$relay" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Run from the build tree: the settings schema is compiled there.  The
# welcome page offers the local relay.
export GSETTINGS_SCHEMA_DIR="$top/build/data"
export SOTTO_DEFAULT_RELAY="http://$address"

"$top/build/src/app/sotto" --profile "$demo/alice" "$@" &
alice=$!

# On a desktop without a default keyring, the first window's database key
# makes the keyring ask for a new keyring password.  A second request
# made while that dialog is open was seen to wait for ever with no dialog
# of its own (gnome-keyring 42), so bob starts once alice's profile has
# been written, alice's window was closed, or a minute has passed.
waited=0
while [ ! -s "$demo/alice/sotto.db" ] && kill -0 "$alice" 2>/dev/null && [ "$waited" -lt 600 ]; do
  sleep 0.1
  waited=$((waited + 1))
done

"$top/build/src/app/sotto" --profile "$demo/bob" "$@" &
bob=$!
wait "$alice" "$bob" || true
