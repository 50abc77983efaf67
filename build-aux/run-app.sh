#!/bin/sh
# The README's run command: installs what Sotto needs, builds it and
# starts it from the build tree.
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

# Run from the build tree: the settings schema is compiled there.
export GSETTINGS_SCHEMA_DIR="$top/build/data"
exec "$top/build/src/app/sotto" "$@"
