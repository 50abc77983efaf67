#!/usr/bin/env python3
# Checks that every sentence a user sees can be translated, and that the
# translations build.  Prints TAP.
#
#   check-translations.py SOURCE_ROOT XGETTEXT MSGFMT
#
# 1. Builds the .pot from po/POTFILES.in as the build does (xgettext with
#    GLib's keywords) and fails on a msgid that xgettext cut short: a
#    format macro such as G_GINT64_FORMAT inside _() ends the string
#    literal xgettext sees, leaving a msgid that ends in a bare "%",
#    which no translation can ever match.
# 2. Fails on a user-visible message left as a bare string literal in
#    the C files of po/POTFILES.in: the message argument of the calls
#    that make errors, toasts, titles and labels must be marked (_(),
#    C_(), g_dngettext()), and must not glue sentences together with a
#    bare "%s: %s".
# 3. Fails where the app shows an error's own text (error->message in
#    src/app, outside logging and sotto-error-text.c): a relay's refusal
#    carries the relay's English words, which users must never read.
# 4. Fails on a time of day formatted in the app outside
#    sotto-time-format.c (which follows the user's 12/24-hour setting), on
#    a date padded with %e, and
#    on an ambiguous word such as "Read" marked without a context (C_()).
# 5. Compiles every translation in po/LINGUAS with msgfmt --check.

import os
import re
import subprocess
import sys
import tempfile

XGETTEXT_KEYWORDS = [
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format', '--flag=NC_:2:pass-c-format',
    '--flag=g_dngettext:2:pass-c-format', '--flag=g_strdup_printf:1:c-format',
    '--flag=g_set_error:4:c-format',
]

# Calls whose argument (counted from 0) is a message people read.
USER_VISIBLE = {
    'g_set_error': 3,
    'g_set_error_literal': 3,
    'g_task_return_new_error': 3,
    'g_error_new': 2,
    'g_error_new_literal': 2,
    'adw_toast_new': 0,
    'adw_status_page_set_title': 1,
    'adw_status_page_set_description': 1,
    'adw_window_title_set_subtitle': 1,
    'gtk_widget_set_tooltip_text': 1,
    'gtk_button_set_label': 1,
    '_sotto_store_set_sqlite_error': 2,
    '_sotto_store_step_row': 3,
    '_sotto_messenger_set_error_from_sp': 2,
}

# A printf or strftime directive.
DIRECTIVE = re.compile(r"%(\d+\$)?[-+ #0_^']*\d*(\.\d+)?(hh|h|ll|l|L|z|j|t)?[A-Za-z%]")


class Tap:
    def __init__(self):
        self.lines = []
        self.failed = False

    def check(self, ok, description):
        self.failed |= not ok
        self.lines.append(f'{"ok" if ok else "not ok"} {len(self.lines) + 1} - {description}')

    def finish(self):
        print(f'1..{len(self.lines)}')
        print('\n'.join(self.lines))
        return 1 if self.failed else 0


def pot_messages(pot):
    """The msgid and msgid_plural strings of a .pot, unescaped."""
    messages = []
    current = None
    for line in pot.splitlines():
        match = re.match(r'(msgid|msgid_plural|msgstr(\[\d+\])?|msgctxt) "(.*)"$', line)
        if match:
            current = match.group(1)
            if current in ('msgid', 'msgid_plural'):
                messages.append(match.group(3))
        elif line.startswith('"') and current in ('msgid', 'msgid_plural'):
            messages[-1] += line[1:-1]
    return [m.encode().decode('unicode_escape').encode('latin-1').decode('utf-8') for m in messages if m]


def is_cut_short(message):
    rest = DIRECTIVE.sub('', message)
    return '%' in rest


def call_arguments(text, open_paren):
    """The top-level arguments of the call whose '(' is at @open_paren."""
    depth, start, i, arguments = 0, open_paren + 1, open_paren, []
    while i < len(text):
        c = text[i]
        if c == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == '\\' else 1
        elif c == "'":
            i += 1
            while text[i] != "'":
                i += 2 if text[i] == '\\' else 1
        elif c in '([{':
            depth += 1
        elif c in ')]}':
            depth -= 1
            if depth == 0:
                arguments.append(text[start:i].strip())
                return arguments
        elif c == ',' and depth == 1:
            arguments.append(text[start:i].strip())
            start = i + 1
        i += 1
    return arguments


def unmarked_messages(root, path):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    text = re.sub(r'/\*.*?\*/', lambda m: re.sub(r'[^\n]', ' ', m.group(0)), text, flags=re.S)
    found = []
    for match in re.finditer(r'\b(' + '|'.join(map(re.escape, USER_VISIBLE)) + r')\s*\(', text):
        before = text[:match.start()].rstrip()
        if before.endswith(('void', 'gboolean', '*')) or text[match.end():].lstrip().startswith(('SottoStore', 'GError')):
            continue  # a declaration or definition, not a call
        arguments = call_arguments(text, match.end() - 1)
        index = USER_VISIBLE[match.group(1)]
        if len(arguments) <= index:
            continue
        argument = arguments[index]
        if not argument.startswith('"'):
            continue
        words = DIRECTIVE.sub('', ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', argument)))
        glued = len(DIRECTIVE.findall(argument)) > 1
        if re.search(r'[A-Za-z]', words) or glued:
            line = text.count('\n', 0, match.start()) + 1
            found.append(f'{os.path.relpath(path, root)}:{line}: {match.group(1)} ({argument[:50]})')
    return found


# Where the app may use an error's own text: logging, and the one file
# that turns errors into the user's words.
LOGGING = re.compile(r'\b(g_debug|g_message|g_info|g_warning|g_critical)\s*\(')
ERROR_TEXT_FILE = 'src/app/sotto-error-text.c'

# Words that mean different things in different places, and so need a
# context for translators.
AMBIGUOUS = ['Read', 'Sent', 'Delivered', 'Open', 'Block', 'Clear']


def without_comments(text):
    return re.sub(r'/\*.*?\*/', lambda m: re.sub(r'[^\n]', ' ', m.group(0)), text, flags=re.S)


def statements_showing_error_text(root, path):
    """Statements in @path that use an error's message other than to log it."""
    with open(path, encoding='utf-8') as f:
        text = without_comments(f.read())
    found = []
    for match in re.finditer(r'\berror->message\b', text):
        start = max(text.rfind(c, 0, match.start()) for c in ';{}') + 1
        if not LOGGING.search(text[start:match.start()]):
            line = text.count('\n', 0, match.start()) + 1
            found.append(f'{os.path.relpath(path, root)}:{line}')
    return found


def format_problems(root, path):
    """Hard-coded times of day, padded days and ambiguous words without context."""
    with open(path, encoding='utf-8') as f:
        text = without_comments(f.read())
    found = []
    for match in re.finditer(r'"((?:[^"\\]|\\.)*)"', text):
        line = text.count('\n', 0, match.start()) + 1
        place = f'{os.path.relpath(path, root)}:{line}'
        literal = match.group(1)
        if (path.startswith(os.path.join(root, 'src', 'app')) and not path.endswith('sotto-time-format.c')
                and '%M' in literal and re.search(r'%[-_0^#]?[HIkl]', literal)):
            found.append(f'{place}: a time of day not from sotto_format_time_of_day() ("{literal}")')
        if '%e' in literal:
            found.append(f'{place}: %e pads the day with a space ("{literal}")')
    for word in AMBIGUOUS:
        for match in re.finditer(r'\b(_|N_)\s*\(\s*"' + word + r'"\s*\)', text):
            line = text.count('\n', 0, match.start()) + 1
            found.append(f'{os.path.relpath(path, root)}:{line}: "{word}" needs a context (C_())')
    return found


def main():
    root, xgettext, msgfmt = sys.argv[1:4]
    tap = Tap()

    with open(os.path.join(root, 'po', 'POTFILES.in'), encoding='utf-8') as f:
        sources = [line.strip() for line in f if line.strip() and not line.startswith('#')]

    with tempfile.TemporaryDirectory() as directory:
        pot_path = os.path.join(directory, 'sotto.pot')
        subprocess.run([xgettext, '--from-code=UTF-8', '--add-comments', '--package-name=sotto',
                        '-D', root, '-o', pot_path] + XGETTEXT_KEYWORDS + sources, check=True)
        with open(pot_path, encoding='utf-8') as f:
            messages = pot_messages(f.read())

        tap.check(len(messages) > 0, f'xgettext finds {len(messages)} messages')
        cut_short = [m for m in messages if is_cut_short(m)]
        for message in cut_short:
            tap.check(False, f'msgid cut short by xgettext (a format macro inside _()?): "{message}"')
        tap.check(not cut_short, 'no msgid is cut short')

        for source in sources:
            if source.endswith('.c'):
                unmarked = unmarked_messages(root, os.path.join(root, source))
                for place in unmarked:
                    tap.check(False, f'unmarked or glued user-visible message: {place}')
                tap.check(not unmarked, f'{source}: every user-visible message is marked')

        app_sources = [s for s in sources if s.startswith('src/app/') and s.endswith('.c')]
        for source in app_sources:
            if source == ERROR_TEXT_FILE:
                continue
            shown = statements_showing_error_text(root, os.path.join(root, source))
            for place in shown:
                tap.check(False, f"an error's own text shown to the user (use sotto_error_text_*()): {place}")
            tap.check(not shown, f"{source}: no error's own text reaches the user")

        for source in sources:
            if source.endswith('.c'):
                problems = format_problems(root, os.path.join(root, source))
                for problem in problems:
                    tap.check(False, problem)
                tap.check(not problems, f'{source}: times, days and ambiguous words are translatable')

        with open(os.path.join(root, 'po', 'LINGUAS'), encoding='utf-8') as f:
            languages = [l.split('#')[0].strip() for l in f if l.split('#')[0].strip()]
        tap.check(len(languages) > 0, f'po/LINGUAS lists {len(languages)} translation(s)')
        for language in languages:
            result = subprocess.run([msgfmt, '--check', '--statistics', '-o', os.devnull,
                                     os.path.join(root, 'po', f'{language}.po')],
                                    capture_output=True, text=True)
            tap.check(result.returncode == 0,
                      f'{language}.po compiles: {(result.stderr or result.stdout).strip()}')

    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
