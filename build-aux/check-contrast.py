#!/usr/bin/env python3
# Measures the contrast of the text Sotto draws, from the CSS colours,
# against WCAG 2.1 AA: 4.5:1 for text, in the light, dark and high-
# contrast styles.
#
# The colours come from libadwaita's own stylesheets, read out of the
# installed library's resources (so the figures follow the libadwaita the
# app runs with), and from Sotto's style.css, style-dark.css and
# style-hc.css, loaded in the order libadwaita loads them.  Translucent
# colours and opacities are composited over what lies below them.
#
#   check-contrast.py GRESOURCE LIBADWAITA_SO STYLE_DIR
#
# Prints TAP: one line per text and style, with the measured ratio.

import os
import re
import subprocess
import sys

AA_TEXT = 4.5

NAMED = {
    'white': (1.0, 1.0, 1.0, 1.0),
    'black': (0.0, 0.0, 0.0, 1.0),
    'transparent': (0.0, 0.0, 0.0, 0.0),
}


class Stylesheet:
    """The named colours and rules of stylesheets loaded one after another."""

    def __init__(self, texts):
        self.colours = {}
        self.rules = {}
        for text in texts:
            text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
            for name, value in re.findall(r'@define-color\s+([\w-]+)\s+([^;]+);', text):
                self.colours[name] = value.strip()
            text = re.sub(r'@define-color[^;]+;', '', text)
            for selectors, body in re.findall(r'([^{}]+)\{([^{}]*)\}', text):
                properties = dict((name.strip(), value.strip())
                                  for name, _, value in (d.partition(':') for d in body.split(';'))
                                  if value.strip())
                for selector in selectors.split(','):
                    self.rules.setdefault(' '.join(selector.split()), {}).update(properties)

    def value(self, selector, name, default=None):
        value = self.rules.get(selector, {}).get(name, default)
        if value is None:
            raise KeyError(f'no {name} for {selector}')
        return value

    def colour(self, expression, current=None):
        expression = expression.strip()
        if expression == 'currentColor':
            return current
        if expression.startswith('@'):
            return self.colour(self.colours[expression[1:]], current)
        if expression in NAMED:
            return NAMED[expression]
        if expression.startswith('#'):
            digits = expression[1:]
            if len(digits) == 3:
                digits = ''.join(c * 2 for c in digits)
            return tuple(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)) + (1.0,)
        match = re.fullmatch(r'(\w+)\((.*)\)', expression, flags=re.S)
        if match is None:
            raise ValueError(f'cannot read the colour {expression!r}')
        function, arguments = match.group(1), split_arguments(match.group(2))
        if function in ('rgb', 'rgba'):
            r, g, b = (float(a) / 255 for a in arguments[:3])
            return (r, g, b, float(arguments[3]) if len(arguments) > 3 else 1.0)
        if function == 'alpha':
            r, g, b, a = self.colour(arguments[0], current)
            return (r, g, b, a * float(arguments[1]))
        if function == 'mix':
            first = self.colour(arguments[0], current)
            second = self.colour(arguments[1], current)
            t = float(arguments[2])
            return tuple(x + (y - x) * t for x, y in zip(first, second))
        raise ValueError(f'cannot read the colour {expression!r}')


def split_arguments(text):
    arguments, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
        elif c == ',' and depth == 0:
            arguments.append(text[start:i])
            start = i + 1
    arguments.append(text[start:])
    return [a.strip() for a in arguments]


def over(top, below):
    """@top (RGBA) composited over the opaque @below (RGB)."""
    r, g, b, a = top
    return tuple(t * a + u * (1 - a) for t, u in zip((r, g, b), below))


def luminance(rgb):
    def linear(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Each text Sotto draws: its colour, the layers of background below it
# (the window's first), and the opacities of the widgets it is in.  A
# ('selector', 'property') pair is read from the stylesheets, with the
# default that applies when no rule sets it.
DIM = ('.dim-label', 'opacity', '1')
SELECTED_HOVER = ('row.activatable:selected:hover', 'background-color', 'transparent')
TEXTS = [
    ('outgoing message',
     ('messagerow .bubble.outgoing', 'color', '@window_fg_color'),
     ['@window_bg_color', ('messagerow .bubble.outgoing', 'background-color', 'transparent')], []),
    ('outgoing message time',
     ('messagerow .bubble.outgoing', 'color', '@window_fg_color'),
     ['@window_bg_color', ('messagerow .bubble.outgoing', 'background-color', 'transparent')],
     [('messagerow .bubble .meta', 'opacity', '1')]),
    ('incoming message',
     ('messagerow .bubble.incoming', 'color', '@window_fg_color'),
     ['@window_bg_color', ('messagerow .bubble.incoming', 'background-color', 'transparent')], []),
    ('incoming message time',
     ('messagerow .bubble.incoming', 'color', '@window_fg_color'),
     ['@window_bg_color', ('messagerow .bubble.incoming', 'background-color', 'transparent')],
     [('messagerow .bubble .meta', 'opacity', '1')]),
    ('safety-number event', '@window_fg_color', ['@window_bg_color'],
     [('messagerow .event', 'opacity', '1')]),
    ('day heading', '@window_fg_color',
     ['@window_bg_color', ('messagerow .day-separator', 'background-color', 'transparent')], [DIM]),
    ('unread divider', '@accent_color', ['@window_bg_color'], []),
    ('dimmed text (explanations, "sending paused")', '@window_fg_color', ['@window_bg_color'], [DIM]),
    ('dimmed text in a dialog', '@dialog_fg_color', ['@dialog_bg_color'], [DIM]),
    ('conversation preview and time', '@window_fg_color', ['@window_bg_color'], [DIM]),
    ('preview of the selected conversation under the pointer', '@window_fg_color',
     ['@window_bg_color', SELECTED_HOVER], [DIM]),
    ('unread count',
     ('conversationrow .unread-badge', 'color', '@window_fg_color'),
     ['@window_bg_color', ('conversationrow .unread-badge', 'background-color', 'transparent')], []),
    ('key-change banner',
     ('.key-change-banner', 'color', '@window_fg_color'),
     ['@window_bg_color', ('.key-change-banner', 'background-color', 'transparent')], []),
]


def measure(sheet, text):
    _, fg, backgrounds, opacities = text

    def lookup(item):
        return sheet.value(*item) if isinstance(item, tuple) else item

    foreground = sheet.colour(lookup(fg))
    below = (1.0, 1.0, 1.0)
    for background in backgrounds:
        below = over(sheet.colour(lookup(background), foreground), below)
    alpha = foreground[3]
    for opacity in opacities:
        alpha *= float(lookup(opacity))
    return contrast(over(foreground[:3] + (alpha,), below), below)


def main():
    gresource, library, style_dir = sys.argv[1:4]

    def adwaita(name):
        return subprocess.run([gresource, 'extract', library, f'/org/gnome/Adwaita/styles/{name}.css'],
                              check=True, capture_output=True, text=True).stdout

    def sotto(*names):
        texts = []
        for name in names:
            path = os.path.join(style_dir, name)
            if os.path.exists(path):
                with open(path, encoding='utf-8') as f:
                    texts.append(f.read())
        return texts

    styles = [
        ('light', [adwaita('base'), adwaita('defaults-light')] + sotto('style.css')),
        ('dark', [adwaita('base'), adwaita('defaults-dark')] + sotto('style.css', 'style-dark.css')),
        ('high contrast', [adwaita('base-hc'), adwaita('defaults-light')] + sotto('style.css', 'style-hc.css')),
        ('high contrast dark', [adwaita('base-hc'), adwaita('defaults-dark')]
         + sotto('style.css', 'style-dark.css', 'style-hc.css', 'style-hc-dark.css')),
    ]

    print(f'1..{len(styles) * len(TEXTS)}')
    failed = False
    number = 0
    for style, texts in styles:
        sheet = Stylesheet(texts)
        for text in TEXTS:
            number += 1
            ratio = measure(sheet, text)
            ok = ratio >= AA_TEXT
            failed |= not ok
            print(f'{"ok" if ok else "not ok"} {number} - {style}: {text[0]}: {ratio:.2f}:1')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
