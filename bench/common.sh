# common.sh: what the benchmark scripts share
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sourced, not run, by the scripts one directory below it, with their
# arguments: it sets $top to the source tree and $build to the build
# directory the first argument names (default build-bench).
#
# release_build BUILD-DIR TARGET... configures BUILD-DIR from $top as a
# release build when it does not exist yet, builds the TARGETs there,
# sets $buildtype (for the scripts' headers) and warns when it is a build
# whose figures mean nothing: a debug or sanitizer build.
#
# cpu_line prints the machine's processor, its number of cores and its
# load average, which the tables are read beside.
#
# repeat N COMMAND... runs COMMAND N times.
#
# $best_of_two is the start of an awk program over two files of rounds,
# each line a row's name and a figure: it keeps each row's best figure in
# first[name] and second[name], and the names in the order the first
# file gives them in order[1..n].  On a shared machine a round can lose
# time to other processes, never gain it, so the best round is the one
# to report.

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$top/build-bench"}

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

cpu_line () {
  echo "CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) ($(nproc) cores), load average $(cut -d ' ' -f 1-3 /proc/loadavg)"
}

repeat () {
  repeat_left=$1
  shift
  while [ "$repeat_left" -gt 0 ]; do
    "$@"
    repeat_left=$((repeat_left - 1))
  done
}

best_of_two='
  NR == FNR {
    if (!($1 in first))
      order[++n] = $1
    if ($2 > first[$1])
      first[$1] = $2
    next
  }
  {
    if ($2 > second[$1])
      second[$1] = $2
  }
'
