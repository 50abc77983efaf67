#!/usr/bin/env python3
# Checks the Flatpak manifest without building it (that needs the GNOME
# SDK from the network): flatpak-builder must parse it, no permission
# outside the agreed list may appear, and the sotto module's config-opts
# must be accepted by this project's meson.  Prints TAP.
#
# Usage: check-flatpak-manifest.py MANIFEST SOURCE_ROOT SCRATCH_DIR

import json
import shutil
import subprocess
import sys

# The report helper beside this script; no bytecode cache in the source tree.
sys.dont_write_bytecode = True
from tap_results import TapResults  # noqa: E402

ALLOWED_FINISH_ARGS = {
    '--share=network',
    '--share=ipc',
    '--socket=wayland',
    '--socket=fallback-x11',
    '--device=dri',
}

manifest_path, source_root, scratch = sys.argv[1:4]
results = TapResults()
check = results.check

shown = subprocess.run(['flatpak-builder', '--show-manifest', manifest_path],
                       capture_output=True, text=True)
check(shown.returncode == 0, 'flatpak-builder --show-manifest parses the manifest',
      shown.stderr)

with open(manifest_path, encoding='utf-8') as f:
    manifest = json.load(f)

finish_args = manifest.get('finish-args', [])
for arg in finish_args:
    check(arg in ALLOWED_FINISH_ARGS, f'finish-arg {arg} is allowed')
forbidden = [a for a in finish_args
             if a.startswith('--talk-name')
             or a in ('--filesystem=home', '--filesystem=host', '--device=all')]
check(not forbidden, 'no --talk-name, home/host filesystem or --device=all',
      ' '.join(forbidden))
check(not ('--socket=x11' in finish_args and '--socket=fallback-x11' in finish_args),
      'no --socket=x11 next to --socket=fallback-x11')
check(manifest.get('runtime') == 'org.gnome.Platform'
      and str(manifest.get('runtime-version')) == '50',
      'runtime is org.gnome.Platform 50')

modules = {m['name']: m for m in manifest.get('modules', []) if isinstance(m, dict)}
for name in ('libsodium', 'libqrencode'):
    module = modules.get(name, {})
    check(all(s.get('type') == 'archive' and len(s.get('sha256', '')) == 64
              for s in module.get('sources', [{}])),
          f'{name} comes from a release archive pinned by sha256')
check('--enable-static' in modules.get('libqrencode', {}).get('config-opts', [])
      and '--disable-shared' in modules.get('libqrencode', {}).get('config-opts', []),
      'libqrencode is linked statically')

sotto = modules.get('sotto')
check(sotto is not None and list(modules)[-1] == 'sotto', 'sotto is the last module')
opts = sotto.get('config-opts', []) if sotto else []
shutil.rmtree(scratch, ignore_errors=True)
configured = subprocess.run(['meson', 'setup', scratch, source_root] + opts,
                            capture_output=True, text=True)
check(configured.returncode == 0,
      'meson accepts the sotto module config-opts: ' + ' '.join(opts),
      configured.stdout[-2000:] + configured.stderr[-2000:])
shutil.rmtree(scratch, ignore_errors=True)

results.print()
