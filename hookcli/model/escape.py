"""Make text that came from a request safe to show in a terminal.

Control characters (which carry ANSI/OSC escape sequences) become visible escapes such as
`\\x1b`; rich markup needs no escaping here because every renderer shows request text as
plain `rich.text.Text` (markup off). One function, used by the CLI and the TUI.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _repl(m: re.Match[str]) -> str:
    c = m.group(0)
    n = ord(c)
    if c == "\t":
        return "\\t"
    if c == "\n":
        return "\\n"
    if c == "\r":
        return "\\r"
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def visible(text: str) -> str:
    """One line: every control character, newline included, shown as an escape."""
    return _UNSAFE_LINE.sub(_repl, text)


def visible_block(text: str) -> str:
    """Multi-line text: newlines and tabs kept, every other control character escaped."""
    return _UNSAFE.sub(_repl, text)
