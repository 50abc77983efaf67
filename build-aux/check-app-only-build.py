#!/usr/bin/env python3
# Checks that the Flatpak's build of Sotto is the app alone: configured
# with the sotto module's config-opts from the manifest, on a machine where
# pkg-config cannot see libwebsockets, libuv or OpenSSL, it must configure,
# build no relay, test, fuzzer or benchmark, and install only the app and
# its desktop data.  The same build with -Dprofile=development must
# install the development icon under its own id.  It only configures and
# introspects: nothing is compiled.  Prints TAP.
#
# Usage: check-app-only-build.py MANIFEST SOURCE_ROOT SCRATCH_DIR

import json
import os
import re
import shutil
import subprocess
import sys

# The report helper beside this script; no bytecode cache in the source tree.
sys.dont_write_bytecode = True
from tap_results import TapResults  # noqa: E402

# What the relay alone needs, by pkg-config name.
RELAY_ONLY_PACKAGES = {'libwebsockets', 'libwebsockets-evlib_uv', 'libuv', 'libuv-static',
                       'openssl', 'libssl', 'libcrypto'}
# Programs that only the tests and the benchmarks look for.
DEVELOPER_PROGRAMS = ('node', 'openssl', 'valgrind')
# What the app installs, relative to the prefix: each of these once, and
# translations; nothing else.
REQUIRED_INSTALLS = [
    r'bin/sotto',
    r'share/applications/{id}\.desktop',
    r'share/metainfo/{id}\.metainfo\.xml',
    r'share/dbus-1/services/{id}\.service',
    r'share/glib-2\.0/schemas/im\.sotto\.Sotto\.gschema\.xml',
    r'share/icons/hicolor/scalable/apps/{id}\.svg',
    r'share/icons/hicolor/symbolic/apps/{id}-symbolic\.svg',
]
TRANSLATIONS = r'share/locale/[^/]+/LC_MESSAGES/sotto\.mo'

manifest_path, source_root, scratch = sys.argv[1:4]
results = TapResults()
check = results.check


def hidden_pkg_config_dir(directory):
    """A pkg-config search directory with every package of the default
    search path except the relay's."""
    os.makedirs(directory)
    search_path = subprocess.run(['pkg-config', '--variable', 'pc_path', 'pkg-config'],
                                 capture_output=True, text=True, check=True).stdout.strip()
    for source in search_path.split(':'):
        if not os.path.isdir(source):
            continue
        for name in os.listdir(source):
            target = os.path.join(directory, name)
            if (name.endswith('.pc') and name[:-3] not in RELAY_ONLY_PACKAGES
                    and not os.path.lexists(target)):
                os.symlink(os.path.join(source, name), target)


def introspect(build_dir, what):
    shown = subprocess.run(['meson', 'introspect', '--' + what, build_dir],
                           capture_output=True, text=True, check=True)
    return json.loads(shown.stdout)


def configure(build_dir, options, env):
    # Meson falls back to CMake's package files where pkg-config finds
    # nothing; the native file names no CMake, so that fallback finds
    # nothing either.
    configured = subprocess.run(['meson', 'setup', '--prefix=/app', '--native-file', native_file,
                                 build_dir, source_root] + options,
                                capture_output=True, text=True, env=env)
    output = configured.stdout.splitlines()[-8:] + configured.stderr.splitlines()[-8:]
    return configured.returncode == 0, '\n'.join(output)


def installed_files(build_dir):
    """The installed files, relative to the prefix, each with its source."""
    return {os.path.relpath(destination, '/app'): source
            for source, destination in introspect(build_dir, 'installed').items()}


def check_app_only(build_dir, application_id, label):
    dependencies = {d['name'] for d in introspect(build_dir, 'dependencies')}
    check(not dependencies & RELAY_ONLY_PACKAGES,
          f'{label}: no libwebsockets, libuv or OpenSSL dependency',
          ' '.join(sorted(dependencies & RELAY_ONLY_PACKAGES)))

    with open(os.path.join(build_dir, 'meson-logs', 'meson-log.txt'), encoding='utf-8') as f:
        log = f.read()
    looked_for = [p for p in DEVELOPER_PROGRAMS if re.search(rf'^Program {p} found', log, re.M)]
    check(not looked_for, f'{label}: looks for none of ' + ', '.join(DEVELOPER_PROGRAMS),
          ' '.join(looked_for))

    targets = introspect(build_dir, 'targets')
    built = sorted(t['name'] for t in targets
                   if t['type'] == 'executable' and t['build_by_default'])
    check(built == ['sotto'], f'{label}: the only program it builds is sotto', ' '.join(built))

    tests = introspect(build_dir, 'tests')
    suites = {suite for t in tests for suite in t['suite']}
    check(tests and suites == {'sotto:data'},
          f'{label}: only the desktop data checks are registered as tests',
          ' '.join(sorted(t['name'] for t in tests)))

    installed = installed_files(build_dir)
    required = [re.compile(pattern.format(id=re.escape(application_id)) + '$')
                for pattern in REQUIRED_INSTALLS]
    allowed = required + [re.compile(TRANSLATIONS + '$')]
    unexpected = sorted(path for path in installed
                        if not any(pattern.match(path) for pattern in allowed))
    check(not unexpected, f'{label}: installs nothing but the app and its desktop data',
          '\n'.join(unexpected))
    missing = [pattern.pattern for pattern in required
               if not any(pattern.match(path) for path in installed)]
    check(not missing, f'{label}: installs the app, its desktop file, metainfo, '
          'D-Bus service, schema and icons', '\n'.join(missing))
    return installed


with open(manifest_path, encoding='utf-8') as f:
    manifest = json.load(f)
sotto = next(m for m in manifest['modules'] if isinstance(m, dict) and m['name'] == 'sotto')
options = sotto.get('config-opts', [])

shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)
pkg_config_dir = os.path.join(scratch, 'pkgconfig')
hidden_pkg_config_dir(pkg_config_dir)
env = dict(os.environ, PKG_CONFIG_LIBDIR=pkg_config_dir)
env.pop('PKG_CONFIG_PATH', None)
native_file = os.path.join(scratch, 'no-cmake.ini')
with open(native_file, 'w', encoding='utf-8') as f:
    f.write("[binaries]\ncmake = '/nonexistent/cmake'\n")

stable = {}
stable_dir = os.path.join(scratch, 'stable')
ok, detail = configure(stable_dir, options, env)
check(ok, 'configures with the manifest\'s options without libwebsockets, libuv or OpenSSL: '
      + ' '.join(options), detail)
if ok:
    stable = check_app_only(stable_dir, manifest['id'], 'the Flatpak build')

development_options = [o for o in options if not o.startswith('-Dprofile=')]
development_options.append('-Dprofile=development')
development_dir = os.path.join(scratch, 'development')
ok, detail = configure(development_dir, development_options, env)
check(ok, 'configures the development profile with the same options', detail)
if ok:
    development = check_app_only(development_dir, manifest['id'] + '.Devel',
                                 'the development build')
    icon = 'share/icons/hicolor/scalable/apps/' + manifest['id'] + '.Devel.svg'
    stable_icon = 'share/icons/hicolor/scalable/apps/' + manifest['id'] + '.svg'
    if icon in development and stable_icon in stable:
        with open(development[icon], 'rb') as a, open(stable[stable_icon], 'rb') as b:
            distinct = a.read() != b.read()
    else:
        distinct = False
    check(distinct, 'the development profile installs an icon of its own')

shutil.rmtree(scratch, ignore_errors=True)

results.print()
