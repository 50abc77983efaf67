#!/bin/sh
# Installs what Sotto needs on Debian 12, and nothing when it is all
# there already.  Usage: install-deps.sh relay|app|test
#
#   relay what a server needs to build the relay (meson -Dapp=false),
#         without GTK and libadwaita
#   app   the libraries and tools to build and run the app and relay
#   test  also what the test suite and the benchmarks run
set -eu

mode=${1:-app}

relay_packages="
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libglib2.0-dev-bin
  libsoup-3.0-dev libjson-glib-dev libsodium-dev libgcrypt20-dev
  libsqlite3-dev libsecret-1-dev libpq-dev libgdk-pixbuf-2.0-dev
  libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libssl-dev
"
build_packages="
  $relay_packages
  libgtk-4-dev libadwaita-1-dev libqrencode-dev
  desktop-file-utils appstream python3
"
test_packages="
  clang libclang-rt-14-dev llvm valgrind
  xvfb xauth dbus-x11 xdotool gnome-keyring zbar-tools dunst gsettings-desktop-schemas
  fonts-noto-color-emoji
  flatpak-builder
  nodejs npm
  libolm-dev prosody procps
  openssl
  postgresql-15
"

packages=$build_packages
if [ "$mode" = relay ]; then
  packages=$relay_packages
fi
if [ "$mode" = test ]; then
  packages="$packages $test_packages"
fi

missing=""
for package in $packages; do
  # Node.js may come from outside Debian (a newer release); any node
  # and npm on the PATH will do.
  case $package in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  case $status in
    *"install ok installed"*) ;;
    *) missing="$missing $package" ;;
  esac
done

if [ -n "$missing" ]; then
  echo "Installing Debian packages:$missing"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

if [ "$mode" = test ]; then
  # The interop tests run Signal's own library as the peer, pinned by the
  # committed lockfile; reinstall only when the lockfile changed.
  top=$(cd "$(dirname "$0")/.." && pwd)
  interop=$top/tests/interop
  if [ -f "$interop/package-lock.json" ]; then
    stamp=$interop/node_modules/.package-lock.json
    if [ ! -f "$stamp" ] || [ "$interop/package-lock.json" -nt "$stamp" ]; then
      echo "Installing the interop tests' npm packages"
      (cd "$interop" && npm ci --no-audit --no-fund)
    fi
  fi
fi
