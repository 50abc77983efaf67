#!/usr/bin/env python3
# Checks the desktop file's Exec and the D-Bus service's Exec against what
# the built sotto accepts: the program is sotto, every option in them is
# one sotto lists, and the desktop file passes files or URIs (%f %F %u %U)
# exactly when sotto opens them.  That last question is asked of sotto
# itself, given a URI on a display (the tests run under Xvfb) in a private
# D-Bus session.  Prints TAP.
#
# Usage: check-desktop-exec.py DESKTOP_FILE SERVICE_FILE SOTTO BUS_CONFIG

import configparser
import os
import shlex
import subprocess
import sys
import tempfile

# The report helper beside this script; no bytecode cache in the source tree.
sys.dont_write_bytecode = True
from tap_results import TapResults  # noqa: E402

FILE_FIELD_CODES = {'%f', '%F', '%u', '%U'}
# Long enough for sotto to start and refuse; a sotto that opened the URI
# would still be running with its window.
START_TIMEOUT = 60

desktop_path, service_path, sotto, bus_config = sys.argv[1:5]
results = TapResults()
check = results.check


def read_entry(path, group):
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read(path, encoding='utf-8')
    return parser[group]


def sotto_opens_uris():
    """Runs sotto with a URI, as a launcher would for %U, and returns
    whether it took the URI, or None with the reason when it cannot tell."""
    with tempfile.TemporaryDirectory() as profile:
        command = ['dbus-run-session', '--config-file=' + bus_config, '--',
                   sotto, '--profile', profile, 'file:///dev/null']
        env = dict(os.environ, LC_ALL='C', LANGUAGE='')
        try:
            ran = subprocess.run(command, capture_output=True, text=True, env=env,
                                 timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            return True, 'sotto kept running with the URI'
    if ran.returncode != 0 and 'can not open files' in ran.stderr:
        return False, ran.stderr
    return None, f'sotto exited with status {ran.returncode}:\n{ran.stderr}'


help_text = subprocess.run([sotto, '--help-all'], capture_output=True, text=True,
                           env=dict(os.environ, LC_ALL='C', LANGUAGE=''))
check(help_text.returncode == 0, 'sotto --help-all lists its options', help_text.stderr)
known_options = {word.split('=')[0] for line in help_text.stdout.splitlines()
                 for word in line.split() if word.startswith('--')}
program = os.path.basename(sotto)

desktop = read_entry(desktop_path, 'Desktop Entry')
desktop_exec = shlex.split(desktop['Exec'])
check(desktop_exec[0] == program, f'the desktop file runs {program}', desktop['Exec'])
unknown = [a for a in desktop_exec[1:] if a.startswith('-') and a.split('=')[0] not in known_options]
check(not unknown, 'every option in the desktop file\'s Exec is one sotto accepts', ' '.join(unknown))

codes = FILE_FIELD_CODES & set(desktop_exec)
opens, detail = sotto_opens_uris()
check(opens is not None and opens == bool(codes),
      'the desktop file passes files or URIs exactly when sotto opens them '
      f'(Exec field codes: {" ".join(sorted(codes)) or "none"})', detail)

if desktop.getboolean('DBusActivatable', fallback=False):
    service = read_entry(service_path, 'D-BUS Service')
    application_id = os.path.basename(desktop_path)[:-len('.desktop')]
    check(service.get('Name') == application_id,
          'the D-Bus service that activates the desktop file has its name', service.get('Name', ''))
    service_exec = shlex.split(service.get('Exec', ''))
    unknown = [a for a in service_exec[1:]
               if a.startswith('-') and a.split('=')[0] not in known_options]
    check(bool(service_exec) and os.path.basename(service_exec[0]) == program and not unknown,
          f'the D-Bus service runs {program} with options it accepts', service.get('Exec', ''))

results.print()
