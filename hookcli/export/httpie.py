"""The `httpie` format: an `http` command that sends a capture again.

Method, path, query, every end-to-end header and the exact body, as with curl. HTTPie's
own defaults are switched off when the capture did not have them (`User-Agent`, `Accept`,
`Accept-Encoding`, `Connection`, and the JSON `Content-Type` it gives a body). What
HTTPie cannot do: send header bytes that are not UTF-8 (such a capture is refused, naming
curl instead), and keep `User-Agent`, `Accept` and `Content-Type` in place: it sends them
ahead of the other headers (they start as its defaults, and the captured values take
their places). Use curl for exact order.

Header items are `Name:value`. HTTPie reads `:=`, `:@` and `;` after a name as other item
kinds, so a value starting with `=` or `@` gets a backslash, which HTTPie removes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from hookcli.errors import HookcliError
from hookcli.export import shell
from hookcli.model import headers as hdr
from hookcli.model.capture import Capture

_DEFAULTS = ("User-Agent", "Accept", "Accept-Encoding", "Connection")
_SPECIAL = ":;=@"  # HTTPie's separator characters


def _item(c: Capture, name: str, value: str) -> str:
    if not value:
        return f"{name};"  # HTTPie's way to send a header with an empty value
    if any(value[i] == "\\" and value[i + 1] in _SPECIAL for i in range(len(value) - 1)):
        raise HookcliError(
            f"capture #{c.id}: HTTPie cannot send the {name} header's value as it is "
            "(a backslash before one of :;=@)",
            "export it with --format curl",
        )
    if value[0] in "=@":
        value = "\\" + value
    return f"{name}:{value}"


def to_httpie(c: Capture, base: str | None = None) -> str:
    """An `http` command for C against BASE (default: the capture's original host)."""
    if c.headers_encoding != hdr.UTF8 and not all(
        (k + v).isascii() for k, v in shell.sent_headers(c)
    ):
        raise HookcliError(
            f"capture #{c.id} has header bytes that are not UTF-8, which HTTPie cannot send",
            "export it with --format curl",
        )
    url = shell.target_url(c, base)
    words = ["http"]
    literal = bool(c.body) and shell.literal_body(c.body)
    if not c.body or literal:
        words.append("--ignore-stdin")
    words.append("--path-as-is")  # else its HTTP library re-quotes the path ([ -> %5B)
    if literal:
        words += ["--raw", shell.quote(c.body)]
    words += [shell.qtext(c.method), shell.qtext(url)]
    headers = shell.sent_headers(c)
    items = [shell.qheader(c, _item(c, k, v)) for k, v in headers]
    missing = [n for n in _DEFAULTS if not hdr.has(headers, n)]
    if c.body and not hdr.has(headers, "Content-Type"):
        missing.append("Content-Type")
    options = [[item] for item in items]
    if missing:
        options.append([shell.qtext(f"{n}:") for n in missing])
    command = shell.layout(words, options)
    return shell.piped(command, c.body) if c.body and not literal else command


def export(captures: Iterable[Capture], to: str | None = None) -> Iterator[tuple[None, bytes]]:
    for c in captures:
        yield None, f"{shell.comment(c)}\n{to_httpie(c, to)}\n\n".encode()
