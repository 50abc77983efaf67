#!/bin/sh
# Fails when a file with translatable strings is missing from
# po/POTFILES.in, or when POTFILES.in names a file that does not exist.
# Prints TAP.  Usage: check-potfiles.sh SOURCE_ROOT
set -u
root=$1
cd "$root" || exit 1

listed=$(grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort)
skipped=$(grep -v '^#' po/POTFILES.skip 2>/dev/null | sed '/^$/d' | sort)

# C sources with gettext calls, UI templates with translatable
# properties, and the data files that i18n.merge_file() translates.
candidates=$( {
  grep -rlE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_|g_dngettext|ngettext)[[:space:]]*\(' \
    --include='*.c' src/app src/engine src/cli 2>/dev/null
  grep -rl 'translatable="yes"' --include='*.ui' src 2>/dev/null
  ls data/*.desktop.in data/*.metainfo.xml.in data/*.gschema.xml 2>/dev/null
} | sort -u)

count=0

report() {
  count=$((count + 1))
  if [ "$1" = ok ]; then
    echo "ok $count - $2"
  else
    echo "not ok $count - $2"
  fi
}

out=$(
  for file in $candidates; do
    if printf '%s\n' "$listed" "$skipped" | grep -qxF "$file"; then
      report ok "$file is in POTFILES.in"
    else
      report fail "$file has translatable strings but is missing from po/POTFILES.in"
    fi
  done
  for file in $listed; do
    if [ -f "$file" ]; then
      report ok "POTFILES.in entry $file exists"
    else
      report fail "POTFILES.in names $file, which does not exist"
    fi
  done
)
echo "1..$(printf '%s\n' "$out" | grep -c '^\(not \)\?ok')"
printf '%s\n' "$out"
