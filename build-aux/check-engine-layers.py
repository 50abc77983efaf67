#!/usr/bin/env python3
# Checks the layers of docs/architecture.md: the engine's public headers
# include only GLib, GIO and each other; the app and sotto-cli include no
# private engine header and no header of the libraries the engine hides;
# and their compile commands carry no flag of those libraries except what
# their own meson.build declares.  It reads the sources and the build
# tree's compile_commands.json; nothing is compiled.  Prints TAP.
#
# Usage: check-engine-layers.py SOURCE_ROOT BUILD_ROOT USERS PUBLIC_HEADER...
# where USERS is a comma-separated list of the directories of the programs
# on top of the engine that this build compiles (src/app, src/cli).

import json
import os
import re
import shlex
import sys

# The report helper beside this script; no bytecode cache in the source tree.
sys.dont_write_bytecode = True
from tap_results import TapResults  # noqa: E402

# What a public header may include besides the other public headers.
PUBLIC_SYSTEM_INCLUDES = {'glib.h', 'glib-object.h', 'gio/gio.h'}
GENERATED_PUBLIC_HEADERS = {'sotto-engine-enums.h'}

# The libraries behind the engine: how their headers are included, and
# how their include directories show in a compile command.
HIDDEN = {
    'json-glib': (re.compile(r'^json-glib/'), re.compile(r'json-glib-1\.0')),
    'libsoup': (re.compile(r'^libsoup/'), re.compile(r'libsoup-3\.0')),
    'libsecret': (re.compile(r'^libsecret/'), re.compile(r'libsecret-1')),
    'SQLite': (re.compile(r'^sqlite3\.h$'), re.compile(r'sqlite')),
    'libsodium': (re.compile(r'^sodium(\.h|/)'), re.compile(r'sodium')),
    'the session core': (re.compile(r'^sp-[a-z0-9-]+\.h$'), re.compile(r'src/protocol\b')),
}

# The programs on top of the engine, and what each declares for itself in
# its meson.build: sotto-cli prints --json with json-glib.
DECLARED = {
    'src/app': set(),
    'src/cli': {'json-glib'},
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.MULTILINE)


def includes(path):
    with open(path, encoding='utf-8') as f:
        return INCLUDE.findall(f.read())


def main():
    source_root, build_root = sys.argv[1], sys.argv[2]
    users = {user: DECLARED[user] for user in sys.argv[3].split(',')}
    headers = sys.argv[4:]
    public = {os.path.basename(p) for p in headers} | GENERATED_PUBLIC_HEADERS
    engine_dir = os.path.join(source_root, 'src', 'engine')
    engine_headers = {f for f in os.listdir(engine_dir) if f.endswith('.h')}
    results = TapResults()

    for header in sorted(headers):
        bad = [name for kind, name in includes(header)
               if not ((kind == '<' and name in PUBLIC_SYSTEM_INCLUDES)
                       or (kind == '"' and name in public))]
        results.check(not bad, f'public header {os.path.basename(header)} includes only GLib, GIO '
                      'and public engine headers', 'it includes: ' + ', '.join(bad))

    for user, declared in users.items():
        directory = os.path.join(source_root, user)
        bad = []
        for name in sorted(os.listdir(directory)):
            if not name.endswith(('.c', '.h')):
                continue
            for kind, included in includes(os.path.join(directory, name)):
                if kind == '"' and included in engine_headers and included not in public:
                    bad.append(f'{name}: private engine header {included}')
                for library, (header, _) in HIDDEN.items():
                    if library not in declared and header.search(included):
                        bad.append(f'{name}: {included} ({library})')
        results.check(not bad, f'{user} includes no private engine header and no hidden library',
                      '\n'.join(bad))

    with open(os.path.join(build_root, 'compile_commands.json'), encoding='utf-8') as f:
        commands = json.load(f)

    def flags_of(command):
        words = shlex.split(command['command'])
        return [w for w in words if w.startswith(('-I', '-D', '-isystem', '-include'))]

    # The check means something only if the engine itself gets the flags.
    def compiled_under(directory):
        directory = os.path.realpath(directory) + os.sep
        return [c for c in commands
                if os.path.realpath(os.path.join(c['directory'], c['file'])).startswith(directory)]

    engine_flags = [' '.join(flags_of(c)) for c in compiled_under(engine_dir)]
    for library in ('json-glib', 'libsoup', 'libsecret', 'the session core'):
        pattern = HIDDEN[library][1]
        results.check(engine_flags and all(pattern.search(f) for f in engine_flags),
                      f'the engine is compiled with the flags of {library}')

    for user, declared in users.items():
        compiled = compiled_under(os.path.join(source_root, user))
        bad = []
        for command in compiled:
            flags = ' '.join(flags_of(command))
            for library, (_, pattern) in HIDDEN.items():
                if library not in declared and pattern.search(flags):
                    bad.append(f'{os.path.basename(command["file"])}: {library}')
        results.check(compiled and not bad, f'{user} is compiled without the flags of the libraries '
                      'behind the engine', '\n'.join(bad) or 'no compile commands found')

    results.print()


if __name__ == '__main__':
    main()
