"""``--set a.b.0.c=VALUE`` edits of a JSON document (fabricate, replay, fixtures).

A path is dotted; a segment of digits indexes an array (and is a plain key in an object);
``\\.`` is a literal dot inside a key. VALUE is parsed as JSON when it is valid JSON, else
taken as a string (``amount=4242`` sets a number, ``name=Ada`` a string, ``x="42"`` the
string ``"42"``). Missing object keys are created on the way; array indices must exist.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from typing import Any

from hookcli.errors import UsageError

PathPart = str | int
_SPLIT = re.compile(r"(?<!\\)\.")


def format_path(path: Iterable[PathPart]) -> str:
    return ".".join(str(p).replace(".", "\\.") for p in path)


def parse_path(text: str) -> list[PathPart]:
    if not text:
        raise UsageError("empty path in --set", "write it as dotted.path=VALUE")
    parts: list[PathPart] = []
    for raw in _SPLIT.split(text):
        seg = raw.replace("\\.", ".")
        if not seg:
            raise UsageError(f"empty segment in --set path {text!r}")
        parts.append(int(seg) if seg.isascii() and seg.isdigit() else seg)
    return parts


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_set(expr: str) -> tuple[list[PathPart], Any]:
    """``"a.b.0.c=VALUE"`` -> (``["a", "b", 0, "c"]``, parsed VALUE)."""
    path, sep, value = expr.partition("=")
    if not sep:
        raise UsageError(f"--set {expr!r} has no '='", "write it as dotted.path=VALUE")
    return parse_path(path.strip()), parse_value(value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return {str: "a string", int: "a number", float: "a number"}.get(type(value), "a scalar")


def set_path(doc: Any, path: list[PathPart], value: Any) -> None:
    """Set PATH in DOC in place; UsageError naming the path when it cannot be reached."""
    node = doc
    for i, part in enumerate(path):
        last = i == len(path) - 1
        where = format_path(path[:i]) or "the document"
        if isinstance(node, dict):
            key = str(part)
            if last:
                node[key] = value
                return
            if key not in node:
                node[key] = {}
            node = node[key]
        elif isinstance(node, list):
            if not isinstance(part, int):
                raise UsageError(
                    f"cannot set {format_path(path)}: {where} is an array, "
                    f"and {part!r} is not an index"
                )
            if part >= len(node):
                raise UsageError(
                    f"cannot set {format_path(path)}: index {part} is out of range "
                    f"({where} has {len(node)} item{'s' if len(node) != 1 else ''})"
                )
            if last:
                node[part] = value
                return
            node = node[part]
        else:
            raise UsageError(
                f"cannot set {format_path(path)}: {where} is {_kind(node)}, not an object or array"
            )


def apply_sets(doc: Any, exprs: Iterable[str]) -> Any:
    """A copy of DOC with every ``path=VALUE`` expression applied in order."""
    out = copy.deepcopy(doc)
    for expr in exprs:
        path, value = parse_set(expr)
        set_path(out, path, value)
    return out
