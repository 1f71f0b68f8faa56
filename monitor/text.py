"""Text from outside the program (a provider's error body, an operator's override, a
database an older version filled) made safe to show: control characters written as
visible escapes (`\\x1b`) instead of acting on a terminal or breaking a page's markup.

Where text can only come from a person's config, the config refuses control
characters outright (monitor/config_checks.py); this is the net for everything else.
"""

from __future__ import annotations

import re

# Every C0 and C1 control and DEL: what a terminal may obey (ESC, CSI, CR, BS, BEL).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What HTML and SVG must not carry raw: controls other than tab, newline and carriage
# return (HTML calls them parse errors, XML 1.0 refuses most), and what XML cannot hold.
_NOT_MARKUP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_markup(text: str) -> str:
    """`text` fit for HTML or SVG text and attributes (escape <, & and quotes as well)."""
    if text.isprintable():  # the common case, a C loop (pages call this ~1000 times)
        return text
    return _NOT_MARKUP.sub(_escape, text)


def for_terminal(text: str) -> str:
    """`text` that prints as itself on one terminal line: every control, newlines too,
    written as an escape."""
    return CONTROL.sub(_escape, text)
