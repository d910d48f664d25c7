"""`hookcli show` (and the TUI's detail tabs): request line, headers, pretty body,
attempts, each a section of its own.

Every section is laid out for the width it is given (see fit.py): header names are never
cut, and long values and body lines wrap under themselves, never back to column 0."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl

from rich.console import Console, RenderableType
from rich.text import Text

from hookcli.model import body as bodycodec
from hookcli.model import headers as hdrs
from hookcli.model.capture import Attempt, Capture
from hookcli.model.escape import visible, visible_block
from hookcli.model.units import human_size
from hookcli.render.colors import style
from hookcli.render.fit import Fitted, clip, hanging
from hookcli.render.hexdump import hexdump

# a NAME/VALUE table is used while the value column keeps at least this many columns;
# below that, each pair is one "Name: value" entry
VALUE_MIN = 30


#: the attempts of each kind `show` and the TUI list unless asked for all: the newest
SHOWN_ATTEMPTS = 20


def render_capture(c: Capture, attempts: int | None = SHOWN_ATTEMPTS) -> Iterator[RenderableType]:
    """C's sections; ATTEMPTS: how many of the newest forwards and replays (None: all)."""
    yield from heading(c)
    yield Text("")
    yield Text("Headers", style="bold underline")
    yield headers_table(c)
    yield Text("")
    yield from body_parts(c)
    for title, shown, hidden in attempt_groups(c, attempts):
        yield Text("")
        yield Text(title, style="bold underline")
        if hidden:
            yield Text(f"… {hidden:,} earlier not shown (show {c.id} --attempts all)", style="dim")
        yield attempts_table(shown)


def heading(c: Capture) -> Iterator[RenderableType]:
    """The request line, and the facts: when, from where, source, size, provider."""
    when = datetime.fromisoformat(c.received_at).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    line = Text()
    line.append(f"#{c.id} ", style=style("id"))
    line.append(visible(c.method), style=style("heading"))
    line.append(" " + visible(c.target) + f" HTTP/{c.http_version}")
    yield Fitted(lambda console, width: hanging(line, console, width, 0, 4))
    facts = [f"received {when}"]
    if c.remote_addr:
        facts.append(f"from {visible(c.remote_addr)}")
    facts.append(f"source {c.source}")
    facts.append(human_size(c.body_size))
    if c.provider or c.event_type:  # a handshake may have an event type alone
        facts.append(visible(" ".join(x for x in (c.provider, c.event_type) if x)))
    if c.signature:
        facts.append(f"signature {c.signature}")
    if c.response.get("handshake"):
        facts.append(_handshake(c))
    elif c.response.get("failed"):
        facts.append(f"answered {c.response['status']} ({visible(str(c.response['failed']))})")
    elif c.response.get("status"):
        facts.append(f"answered {c.response['status']}")
    yield Fitted(lambda console, width: _joined(facts, " · ", width))


def _handshake(c: Capture) -> str:
    """`handshake answered 200`, `handshake refused 401 (bad signature)`, `handshake not
    answered (needs --secret zoom=SECRET_TOKEN), answered 200`."""
    r = c.response
    note = visible(str(r.get("note") or ""))
    outcome = visible(str(r["handshake"]))
    if outcome == "not answered":
        return f"handshake not answered ({note}), answered {r.get('status')}"
    return f"handshake {outcome} {r.get('status')}" + (f" ({note})" if note else "")


def _joined(parts: list[str], sep: str, width: int) -> Iterator[Text]:
    """PARTS joined by SEP, as many to a line as fit: a line breaks between parts only."""
    line = ""
    for part in parts:
        candidate = f"{line}{sep}{part}" if line else part
        if line and len(candidate) > width:
            yield Text(line, style="dim")
            candidate = part
        line = candidate
    yield Text(line, style="dim")


def headers_table(c: Capture) -> RenderableType:
    if not c.headers:
        return Text("(none)", style="dim")
    pairs = [(visible(k), visible(v)) for k, v in c.headers]
    return Fitted(lambda console, width: _pairs(pairs, console, width, None))


def _pairs(
    pairs: list[tuple[str, str]], console: Console, width: int, titles: tuple[str, str] | None
) -> Iterator[Text]:
    """NAME/VALUE pairs as two aligned columns where the values keep VALUE_MIN columns,
    else as `Name: value` entries; names are never cut, values wrap under themselves."""
    name_w = max(len(k) for k, _ in pairs)
    if titles and name_w < len(titles[0]):
        name_w = len(titles[0])
    if name_w + 2 + VALUE_MIN <= width:
        if titles:
            yield Text(f"{titles[0]:<{name_w}}  {titles[1]}", style="bold")
        for k, v in pairs:
            lines = hanging(Text(v), console, width - name_w - 2, 0, 0)
            first = Text(f"{k:<{name_w}}  ", style=style("name"))
            yield first.append_text(lines[0])
            for more in lines[1:]:
                yield Text(" " * (name_w + 2)).append_text(more)
        return
    for k, v in pairs:
        entry = Text(k, style=style("name"))
        entry.append(": " + v, style="")
        yield from hanging(entry, console, width, 0, 4)


def attempt_groups(
    c: Capture, limit: int | None = SHOWN_ATTEMPTS
) -> list[tuple[str, list[Attempt], int]]:
    """(title, the newest LIMIT attempts, how many older ones are left out) for the forwards
    and replays the capture has (LIMIT None: all)."""
    # a fabricated capture's first "replay" is the send that made it
    sent = "Sent and replays" if c.source == "fabricated" else "Replays"
    groups = []
    for title, attempts in (("Forwards", c.forwards), (sent, c.replays)):
        if not attempts:
            continue
        cut = 0 if limit is None else max(0, len(attempts) - limit)
        shown = attempts[cut:]
        if cut:
            title += f" ({len(attempts):,})"
        groups.append((title, shown, len(attempts) - len(shown)))
    return groups


@dataclass(frozen=True)
class ShownBody:
    """A body as shown: content-decoded for viewing, with its kind."""

    data: bytes
    kind: bodycodec.BodyKind
    decoded_from: str | None


def shown_body(c: Capture) -> ShownBody:
    data, decoded_from = bodycodec.content_decoded(c.body, hdrs.get(c.headers, "content-encoding"))
    return ShownBody(data, bodycodec.kind(data, hdrs.get(c.headers, "content-type")), decoded_from)


def body_title(b: ShownBody) -> Text:
    title = Text("Body", style="bold underline")
    note = f" ({b.kind}, {human_size(len(b.data))}"
    if b.decoded_from:
        note += f", shown decoded from {b.decoded_from}; --body gives the wire bytes"
    title.append(note + ")", style="dim")
    return title


def pretty_json(data: bytes) -> str:
    """A JSON body indented, with control characters escaped: ready to highlight."""
    return visible_block(json.dumps(json.loads(data), indent=2, ensure_ascii=False))


JSON_THEME = "ansi_dark"


def body_parts(c: Capture) -> Iterator[RenderableType]:
    b = shown_body(c)
    data = b.data
    yield body_title(b)
    if b.kind == "empty":
        yield Text("(empty)", style="dim")
    elif b.kind == "json":
        from rich.syntax import Syntax

        pretty = pretty_json(data)
        highlighted = Syntax(pretty, "json", theme=JSON_THEME).highlight(pretty)
        highlighted.rstrip()
        yield Fitted(lambda console, width: _indented_lines(highlighted, console, width))
    elif b.kind == "form":
        fields = [
            (visible(k), visible(v))
            for k, v in parse_qsl(data.decode("utf-8"), keep_blank_values=True)
        ]
        if fields:
            yield Fitted(lambda console, width: _pairs(fields, console, width, ("FIELD", "VALUE")))
    elif b.kind == "text":
        text = Text(visible_block(data.decode("utf-8")))
        yield Fitted(lambda console, width: _indented_lines(text, console, width))
    else:
        yield Fitted(lambda console, width: [Text(hexdump(data, per_line=_hex_width(width)))])


def _indented_lines(text: Text, console: Console, width: int) -> Iterator[Text]:
    """Each line of TEXT; a line too long for WIDTH wraps under its own start, two columns
    further in (a JSON value under its key), never back to column 0."""
    for line in text.split("\n", allow_blank=True):
        lead = len(line.plain) - len(line.plain.lstrip(" "))
        yield from hanging(line[lead:], console, width, lead)


def _hex_width(width: int) -> int:
    """Bytes per hex dump line: 16 where a line of them fits (78 columns), else 8."""
    return 16 if width >= 78 else 8


def compare_role(tag: str) -> str:
    """An attempt's part in a `replay --compare`: `compare 6deff0ab a` and so on."""
    pair, _, side = tag.partition(" ")
    what = {"a": "side a", "b": "side b", "new": "against the recorded answer"}.get(side, side)
    return visible(f"compare {pair}, {what}")


def attempts_table(attempts: list[Attempt]) -> RenderableType:
    """Each attempt as `time  status  latency  target`, the target's answer (or the error)
    under it: the lines fit any width, where a five-column table would not."""
    return Fitted(lambda console, width: _attempt_lines(attempts, console, width))


def _attempt_lines(attempts: list[Attempt], console: Console, width: int) -> Iterator[Text]:
    from hookcli.render.delivery import status_text

    for a in attempts:
        head = Text(datetime.fromisoformat(a.at).astimezone().strftime("%H:%M:%S"), style="dim")
        head.append("  ")
        head.append(status_text(a.status), style=style("ok" if a.ok else "failed"))
        head.append(f"  {a.latency_ms:.0f} ms  ", style="dim")
        head.append(visible(a.target))
        if a.compare:
            head.append(f"  ({compare_role(a.compare)})", style="dim")
        yield from hanging(head, console, width, 0, 10)
        answer = (a.error or a.response_excerpt).strip().splitlines()
        if answer:
            yield Text(" " * 10).append_text(clip(Text(visible(answer[0])), width - 10))
