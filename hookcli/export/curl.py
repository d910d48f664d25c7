"""A capture as a curl command that sends it again: the TUI's copy-as-curl (`c`), and the
`curl` export format.

The command is safe to paste into a shell and to show in a terminal: every argument that
holds a control character or bytes that are not UTF-8 is written in ANSI-C quoting
(`$'...\\x1b...'`, bash and zsh), so nothing a sender chose is interpreted on the way."""

from __future__ import annotations

import shlex

from hookcli.delivery.prepare import end_to_end, join_url
from hookcli.model import headers as hdrs
from hookcli.model.capture import Capture


def default_base(c: Capture) -> str:
    """The capture's original host: where the sender sent it."""
    host = hdrs.get(c.headers, "host") or "localhost"
    return f"http://{host}"


def to_curl(c: Capture, base: str | None = None) -> str:
    """A multi-line curl command for C against BASE (URL rule as in replay; default the
    capture's original host). Hop-by-hop headers are left to curl to compute."""
    url = join_url(base or default_base(c), c.path, c.query)
    args = ["curl"]
    if not ((c.method == "GET" and not c.body) or (c.method == "POST" and c.body)):
        args += ["-X", quote(c.method.encode())]
    args.append(quote(url.encode()))
    for k, v in end_to_end(c.headers):
        args += ["-H", quote(f"{k}: {v}".encode("utf-8", "surrogateescape"))]
    prefix = ""
    if b"\0" in c.body:
        # an argument ends at a NUL byte: such a body goes through a pipe
        prefix = f"printf {printf_format(c.body)} | "
        args += ["--data-binary", "@-"]
    elif c.body:
        args += ["--data-binary", quote(c.body)]
    lines: list[str] = []
    line = prefix + args[0] + " " + args[1]
    for i in range(2, len(args)):
        if args[i].startswith("-") and args[i] != "@-":
            lines.append(line)
            line = "  " + args[i]
        else:
            line += " " + args[i]
    lines.append(line)
    return " \\\n".join(lines)


def printf_format(data: bytes) -> str:
    """A quoted printf(1) format that prints DATA exactly, NUL bytes included (POSIX octal
    escapes; `%` doubled)."""
    out = []
    for b in data:
        if b == 0x25:
            out.append("%%")
        elif b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03o}")
    return shlex.quote("".join(out))


def quote(data: bytes) -> str:
    """One shell word for DATA: plain single quotes when it is printable UTF-8 (newlines
    and tabs allowed), else ANSI-C quoting with every other byte as \\xHH."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(ch.isprintable() or ch in "\n\t" for ch in text):
        return shlex.quote(text)
    out = []
    for b in data:
        ch = chr(b)
        if ch in "\\'":
            out.append("\\" + ch)
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\x{b:02x}")
    return "$'" + "".join(out) + "'"
