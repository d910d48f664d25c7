"""Lines for `replay --compare`: one per capture (`#12 stripe invoice.paid  same`), the
differences under a capture that differs (as `hookcli diff` prints them), and the summary
(`41 same, 2 differ, 0 failed`). Every value from a request or an answer goes through
`visible`; lines are cut with an ellipsis, never wrapped."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from rich.text import Text

from hookcli.delivery.compare import Pair, State
from hookcli.model import answers
from hookcli.model.escape import visible
from hookcli.render.colors import style
from hookcli.render.diff import entry_lines

_STYLE = {"same": style("ok"), "differs": style("changed"), "failed": style("failed")}


def _cut(text: Text) -> Text:
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def label(p: Pair) -> str:
    c = p.capture
    if c.provider:
        return f"{c.provider} {c.event_type}" if c.event_type else c.provider
    return f"{c.method} {c.target}"


def pair_lines(p: Pair) -> Iterator[Text]:
    head = Text(f"#{p.capture.id}", style="bold")
    head.append(f" {visible(label(p))}  ")
    state = p.state
    head.append(state, style=_STYLE[state])
    if state == "differs":
        head.append(f": {visible(answers.headline(p.entries))}")
    elif state == "failed":
        head.append(f": {visible(p.error or '')}")
    if p.cut:
        head.append("  (bodies compared up to 4 KiB)", style="dim")
    yield _cut(head)
    for line in entry_lines(p.entries):
        yield _cut(Text("    ").append_text(line))


def summary(counts: Mapping[State, int]) -> Text:
    text = Text(f"{counts['same']} same, ")
    text.append(f"{counts['differs']} differ", style=_STYLE["differs"] if counts["differs"] else "")
    text.append(", ")
    text.append(f"{counts['failed']} failed", style=_STYLE["failed"] if counts["failed"] else "")
    return text
