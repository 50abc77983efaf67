#!/bin/sh
# run-node-test.sh: runs one interop test file under Node's TAP reporter
#
# Copyright 2026 The Sotto authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: run-node-test.sh TEST-FILE (from tests/interop, as meson runs it)
#
# The interop tests need Node 20 and libsignal from `npm ci` in
# tests/interop.  When either is missing the test fails with a TAP
# "Bail out!" that says what to install: a skipped interop suite would
# look green while proving nothing.

here=$(cd "$(dirname "$0")" && pwd)
module="$here/node_modules/@signalapp/libsignal-client/package.json"

bail_out () {
  echo "TAP version 13"
  echo "Bail out! $*"
  exit 1
}

command -v node >/dev/null 2>&1 \
  || bail_out "node is not installed; the interop tests need Node.js 20 or later"

major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] 2>/dev/null \
  || bail_out "node $(node --version) is too old; the interop tests need Node.js 20 or later"

[ -f "$module" ] \
  || bail_out "libsignal is not installed; run 'npm ci' in $here"

version=$(node -p "require('$module').version")
[ "$version" = "0.103.0" ] \
  || bail_out "libsignal $version is installed, the tests pin 0.103.0; run 'npm ci' in $here"

cd "$here" || bail_out "cannot enter $here"
exec node --test --test-reporter=tap "$1"
