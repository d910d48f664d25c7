"""Structural diff of two captures: what changed, by path, as `hookcli diff` and the TUI
show it.

A capture is compared as a request, not as text: the request line by part, headers by
lower-cased name (so `Content-Type` and `content-type` are the same header), JSON bodies
by dotted path with array indices (`body.data.items.0.price`), form bodies by field. A body
that is neither (text, binary, or JSON on one side only) differs as one `body` entry: text
as a unified diff, binary by size and SHA-256, since neither has structure to walk.

Pure standard library: the renderers (CLI, TUI) and `--json` are views of the same
entries.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any, Literal
from urllib.parse import parse_qsl

from hookcli.model import body as bodycodec
from hookcli.model import headers as hdrs
from hookcli.model.capture import Capture
from hookcli.model.jsonedit import PathPart, format_path

Kind = Literal["added", "removed", "changed"]
_MISSING = object()


@dataclass(frozen=True)
class DiffEntry:
    """One difference. A and B are JSON values; the absent side of an added or removed
    entry is None."""

    path: str
    kind: Kind
    a: Any
    b: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class BodyView:
    """A body as the diff sees it: its kind and, for JSON and form bodies, its parsed form."""

    kind: bodycodec.BodyKind
    data: bytes
    parsed: Any = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    def value(self) -> Any:
        """The JSON value a `body` entry carries for this side."""
        if self.kind == "empty":
            return None
        if self.kind == "json":
            return self.parsed
        if self.kind == "binary":
            return {"size": len(self.data), "sha256": hashlib.sha256(self.data).hexdigest()}
        return self.text


def body_view(c: Capture) -> BodyView:
    """C's body with any Content-Encoding undone, classified and parsed."""
    return view_of(c.body, c.headers)


def view_of(body: bytes, headers: Sequence[tuple[str, str]]) -> BodyView:
    """BODY (sent with HEADERS) with any Content-Encoding undone, classified and parsed:
    a request's body or a target's answer."""
    data, _ = bodycodec.content_decoded(body, hdrs.get(headers, "content-encoding"))
    kind = bodycodec.kind(data, hdrs.get(headers, "content-type"))
    parsed: Any = None
    if kind == "json":
        parsed = json.loads(data)
    elif kind == "form":
        parsed = _grouped(parse_qsl(data.decode("utf-8"), keep_blank_values=True))
    return BodyView(kind, data, parsed)


def diff_captures(a: Capture, b: Capture, ignore: Sequence[str] = ()) -> list[DiffEntry]:
    """Every difference between A and B, in request order: request line, headers, body.
    Entries whose path matches an IGNORE glob, or lies under one, are left out."""
    entries = [*_request_line(a, b), *_headers(a, b), *_bodies(body_view(a), body_view(b))]
    return without_ignored(entries, ignore)


def without_ignored(entries: list[DiffEntry], ignore: Sequence[str]) -> list[DiffEntry]:
    """ENTRIES less those whose path matches an IGNORE glob, or lies under one."""
    if not ignore:
        return entries
    patterns = [_normal_pattern(p) for p in ignore]
    return [e for e in entries if not _ignored(e.path, patterns)]


def _request_line(a: Capture, b: Capture) -> Iterator[DiffEntry]:
    for name in ("method", "path", "query"):
        va, vb = getattr(a, name), getattr(b, name)
        if va != vb:
            yield DiffEntry(name, "changed", va, vb)


def _grouped(pairs: Iterable[tuple[str, str]], lower: bool = False) -> dict[str, Any]:
    """Name -> value, or the list of values of a name given more than once, in order."""
    out: dict[str, Any] = {}
    for k, v in pairs:
        key = k.lower() if lower else k
        if key not in out:
            out[key] = v
        elif isinstance(out[key], list):
            out[key].append(v)
        else:
            out[key] = [out[key], v]
    return out


def _headers(a: Capture, b: Capture) -> Iterator[DiffEntry]:
    return header_entries(a.headers, b.headers)


def header_entries(
    a: Sequence[tuple[str, str]], b: Sequence[tuple[str, str]], skip: frozenset[str] = frozenset()
) -> Iterator[DiffEntry]:
    """Headers compared by lower-cased name, those named in SKIP (lower case) left out."""
    ha, hb = _grouped(a, lower=True), _grouped(b, lower=True)
    for name in _union(ha, hb):
        if name in skip:
            continue
        yield from _leaf(f"headers.{name}", ha.get(name, _MISSING), hb.get(name, _MISSING))


def _union(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """A's keys in order, then those only B has, in B's order."""
    return [*a, *(k for k in b if k not in a)]


def _leaf(path: str, va: Any, vb: Any) -> Iterator[DiffEntry]:
    if va is _MISSING:
        yield DiffEntry(path, "added", None, vb)
    elif vb is _MISSING:
        yield DiffEntry(path, "removed", va, None)
    elif not _same(va, vb):
        yield DiffEntry(path, "changed", va, vb)


def _same(x: Any, y: Any) -> bool:
    """JSON equality where 1, 1.0 and true differ, as they do in the document."""
    if type(x) is not type(y):
        return False
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(_same(i, j) for i, j in zip(x, y, strict=True))
    return bool(x == y)


def body_entries(a: BodyView, b: BodyView) -> Iterator[DiffEntry]:
    """Two bodies compared: JSON by path, forms by field, anything else as one `body`."""
    return _bodies(a, b)


def _bodies(a: BodyView, b: BodyView) -> Iterator[DiffEntry]:
    if a.kind == b.kind == "json":
        yield from _walk(["body"], a.parsed, b.parsed)
    elif a.kind == b.kind == "form":
        for name in _union(a.parsed, b.parsed):
            yield from _leaf(
                format_path(["body", name]),
                a.parsed.get(name, _MISSING),
                b.parsed.get(name, _MISSING),
            )
    elif a.kind == "empty" and b.kind != "empty":
        yield DiffEntry("body", "added", None, b.value())
    elif b.kind == "empty" and a.kind != "empty":
        yield DiffEntry("body", "removed", a.value(), None)
    elif a.data != b.data:
        yield DiffEntry("body", "changed", a.value(), b.value())


def _walk(path: list[PathPart], va: Any, vb: Any) -> Iterator[DiffEntry]:
    """Objects by key, arrays by index, anything else (or a change of type) as one leaf."""
    if isinstance(va, dict) and isinstance(vb, dict):
        for key in _union(va, vb):
            sub = [*path, key]
            if key in va and key in vb:
                yield from _walk(sub, va[key], vb[key])
            else:
                yield from _leaf(format_path(sub), va.get(key, _MISSING), vb.get(key, _MISSING))
    elif isinstance(va, list) and isinstance(vb, list):
        for i, (x, y) in enumerate(zip_longest(va, vb, fillvalue=_MISSING)):
            if x is _MISSING or y is _MISSING:
                yield from _leaf(format_path([*path, i]), x, y)
            else:
                yield from _walk([*path, i], x, y)
    else:
        yield from _leaf(format_path(path), va, vb)


def _normal_pattern(pattern: str) -> str:
    """Header names are compared lower-cased, so `headers.Stripe-Signature` means the same
    as `headers.stripe-signature`."""
    if pattern.lower().startswith("headers."):
        return pattern.lower()
    return pattern


def _ignored(path: str, patterns: list[str]) -> bool:
    """PATH matches a pattern itself or through an ancestor (`body.data` hides
    `body.data.object.id`)."""
    prefixes = [path]
    cut = path
    while "." in cut:
        cut = cut.rsplit(".", 1)[0]
        prefixes.append(cut)
    return any(fnmatch.fnmatchcase(p, pat) for p in prefixes for pat in patterns)


# -- text views ---------------------------------------------------------------------------


def unified(a: str, b: str, context: int = 3) -> list[str]:
    """A unified diff of two texts, without the ---/+++ file header."""
    lines = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=context)
    return [line for line in lines if not line.startswith(("---", "+++"))]


def document_lines(c: Capture) -> list[str]:
    """A capture as lines to compare side by side: request line, headers, blank line, and
    the body pretty-printed (JSON indented, form fields one a line, binary as size and
    hash)."""
    lines = [f"{c.method} {c.target} HTTP/{c.http_version}"]
    lines += [f"{k}: {v}" for k, v in c.headers]
    lines.append("")
    view = body_view(c)
    if view.kind == "json":
        lines += json.dumps(view.parsed, indent=2, ensure_ascii=False).splitlines()
    elif view.kind == "form":
        lines += [f"{k} = {v}" for k, v in parse_qsl(view.text, keep_blank_values=True)]
    elif view.kind == "binary":
        info = view.value()
        lines.append(f"(binary, {info['size']} bytes, sha256 {info['sha256']})")
    elif view.kind == "text":
        lines += view.text.splitlines()
    return lines


Tag = Literal["equal", "replace", "delete", "insert"]


@dataclass(frozen=True)
class Row:
    """One aligned line of a side-by-side diff: the left and right line (None where that
    side has no line) and how they relate."""

    left: str | None
    right: str | None
    tag: Tag


def side_by_side(a: Sequence[str], b: Sequence[str]) -> list[Row]:
    """A and B aligned line by line: equal lines face each other, a changed block pairs its
    lines in order, lines only one side has face a gap."""
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(None, a, b)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [Row(x, y, "equal") for x, y in zip(a[i1:i2], b[j1:j2], strict=True)]
        elif tag == "replace":
            for x, y in zip_longest(a[i1:i2], b[j1:j2]):
                rows.append(Row(x, y, "delete" if y is None else "insert" if x is None else tag))
        elif tag == "delete":
            rows += [Row(x, None, "delete") for x in a[i1:i2]]
        else:
            rows += [Row(None, y, "insert") for y in b[j1:j2]]
    return rows
