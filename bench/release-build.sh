# release-build.sh: the build step the benchmark scripts share
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sourced, not run.  release_build BUILD-DIR TARGET... configures
# BUILD-DIR from the source tree $top as a release build when it does
# not exist yet, builds the TARGETs there, sets $buildtype (for the
# scripts' headers) and warns when it is a build whose figures mean
# nothing: a debug or sanitizer build.

release_build () {
  release_build_dir=$1
  shift
  [ -f "$release_build_dir/build.ninja" ] || meson setup "$release_build_dir" "$top" --buildtype=release >/dev/null
  ninja -C "$release_build_dir" "$@" >/dev/null

  buildtype=$(meson introspect --buildoptions "$release_build_dir" \
    | node -e 'const o = JSON.parse(require("fs").readFileSync(0)); const v = (n) => o.find((x) => x.name === n).value;
               console.log(v("buildtype") + (v("b_sanitize") === "none" ? "" : "+sanitize:" + v("b_sanitize")))')
  case $buildtype in
    release|debugoptimized) ;;
    *) echo "warning: $release_build_dir is a '$buildtype' build; its figures are not representative" >&2 ;;
  esac
}
