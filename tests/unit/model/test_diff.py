"""The structural diff: paths and kinds per the spec, case-insensitive headers, JSON by
path, form by field, text and binary bodies as one entry, --ignore globs, the side-by-side
alignment."""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

from hookcli.model.capture import Capture
from hookcli.model.diff import DiffEntry, diff_captures, document_lines, side_by_side, unified

JSON = [("Content-Type", "application/json")]


def cap(body: Any = b"", headers: list[tuple[str, str]] | None = None, **kw: Any) -> Capture:
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return Capture(
        kw.pop("method", "POST"),
        kw.pop("path", "/h"),
        kw.pop("query", ""),
        JSON if headers is None else headers,
        body,
    )


def paths(entries: list[DiffEntry]) -> list[tuple[str, str]]:
    return [(e.path, e.kind) for e in entries]


def test_identical_captures_have_no_entries() -> None:
    a = cap({"a": [1, {"b": None}]})
    assert diff_captures(a, cap({"a": [1, {"b": None}]})) == []


def test_request_line_parts() -> None:
    d = diff_captures(
        cap(method="POST", path="/a", query="x=1"), cap(method="PUT", path="/b", query="")
    )
    assert [e.to_json() for e in d] == [
        {"path": "method", "kind": "changed", "a": "POST", "b": "PUT"},
        {"path": "path", "kind": "changed", "a": "/a", "b": "/b"},
        {"path": "query", "kind": "changed", "a": "x=1", "b": ""},
    ]


def test_headers_by_lower_cased_name_added_removed_changed() -> None:
    a = cap(headers=[("Content-Type", "text/plain"), ("X-Gone", "1"), ("X-Same", "s")])
    b = cap(headers=[("content-type", "text/html"), ("x-same", "s"), ("X-New", "2")])
    assert [e.to_json() for e in diff_captures(a, b)] == [
        {"path": "headers.content-type", "kind": "changed", "a": "text/plain", "b": "text/html"},
        {"path": "headers.x-gone", "kind": "removed", "a": "1", "b": None},
        {"path": "headers.x-new", "kind": "added", "a": None, "b": "2"},
    ]


def test_duplicate_headers_compare_as_the_list_of_values() -> None:
    a = cap(headers=[("Via", "a"), ("via", "b")])
    b = cap(headers=[("Via", "a")])
    assert diff_captures(a, b) == [DiffEntry("headers.via", "changed", ["a", "b"], "a")]


def test_json_bodies_by_dotted_path_with_array_indices() -> None:
    a = cap({"data": {"object": {"amount": 1000, "items": [{"price": 1}, {"price": 2}]}}})
    b = cap({"data": {"object": {"amount": 2000, "items": [{"price": 1}, {"price": 3}, 4]}}})
    assert [e.to_json() for e in diff_captures(a, b)] == [
        {"path": "body.data.object.amount", "kind": "changed", "a": 1000, "b": 2000},
        {"path": "body.data.object.items.1.price", "kind": "changed", "a": 2, "b": 3},
        {"path": "body.data.object.items.2", "kind": "added", "a": None, "b": 4},
    ]


def test_json_keys_added_removed_and_type_changes_are_leaves() -> None:
    a = cap({"gone": {"x": 1}, "t": [1], "n": 1, "f": True})
    b = cap({"t": {"0": 1}, "n": 1.0, "f": 1, "new": None})
    assert paths(diff_captures(a, b)) == [
        ("body.gone", "removed"),
        ("body.t", "changed"),
        ("body.n", "changed"),
        ("body.f", "changed"),
        ("body.new", "added"),
    ]


def test_json_key_with_a_dot_is_escaped_in_the_path() -> None:
    d = diff_captures(cap({"a.b": 1}), cap({"a.b": 2}))
    assert d[0].path == "body.a\\.b"


def test_form_bodies_by_field() -> None:
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    a = cap(b"To=%2B1555&Body=hi&x=1", form)
    b = cap(b"To=%2B1555&Body=hello&y=2", form)
    assert [e.to_json() for e in diff_captures(a, b)] == [
        {"path": "body.Body", "kind": "changed", "a": "hi", "b": "hello"},
        {"path": "body.x", "kind": "removed", "a": "1", "b": None},
        {"path": "body.y", "kind": "added", "a": None, "b": "2"},
    ]


def test_text_bodies_are_one_body_entry_with_both_texts() -> None:
    text = [("Content-Type", "text/plain")]
    d = diff_captures(cap(b"one\ntwo\n", text), cap(b"one\n2\n", text))
    assert d == [DiffEntry("body", "changed", "one\ntwo\n", "one\n2\n")]
    assert unified("one\ntwo\n", "one\n2\n") == ["@@ -1,2 +1,2 @@", " one", "-two", "+2"]


def test_binary_bodies_by_size_and_hash() -> None:
    octet = [("Content-Type", "application/octet-stream")]
    a, b = b"\x00\xff" * 4, b"\x00\xfe" * 5
    (entry,) = diff_captures(cap(a, octet), cap(b, octet))
    assert entry.path == "body" and entry.kind == "changed"
    assert entry.a == {"size": 8, "sha256": hashlib.sha256(a).hexdigest()}
    assert entry.b == {"size": 10, "sha256": hashlib.sha256(b).hexdigest()}


def test_json_on_one_side_only_is_one_body_entry() -> None:
    (entry,) = diff_captures(cap({"a": 1}), cap(b"plain"))
    assert entry == DiffEntry("body", "changed", {"a": 1}, "plain")


def test_an_empty_body_is_an_absent_one() -> None:
    assert diff_captures(cap(b""), cap({"a": 1})) == [DiffEntry("body", "added", None, {"a": 1})]
    assert diff_captures(cap({"a": 1}), cap(b"")) == [DiffEntry("body", "removed", {"a": 1}, None)]


def test_gzip_bodies_are_compared_decoded() -> None:
    gz = [*JSON, ("Content-Encoding", "gzip")]
    a = cap(gzip.compress(b'{"n": 1}'), gz)
    b = cap(gzip.compress(b'{"n": 2}'), gz)
    assert diff_captures(a, b) == [DiffEntry("body.n", "changed", 1, 2)]


def test_ignore_globs_hide_paths_and_what_lies_under_them() -> None:
    a = cap({"created": 1, "data": {"id": "x", "amount": 1}}, [("Stripe-Signature", "t=1")])
    b = cap({"created": 2, "data": {"id": "y", "amount": 2}}, [("Stripe-Signature", "t=2")])
    assert len(diff_captures(a, b)) == 4
    kept = diff_captures(a, b, ["body.created", "headers.Stripe-Signature", "body.data.id"])
    assert paths(kept) == [("body.data.amount", "changed")]
    assert diff_captures(a, b, ["body.data", "body.c*", "headers.*"]) == []


def test_side_by_side_aligns_equal_lines_and_pairs_changes() -> None:
    rows = side_by_side(["a", "b", "c", "d"], ["a", "B", "c", "e", "f"])
    assert [(r.left, r.right, r.tag) for r in rows] == [
        ("a", "a", "equal"),
        ("b", "B", "replace"),
        ("c", "c", "equal"),
        ("d", "e", "replace"),
        (None, "f", "insert"),
    ]
    rows = side_by_side(["a", "x", "b"], ["a", "b"])
    assert [(r.left, r.right, r.tag) for r in rows] == [
        ("a", "a", "equal"),
        ("x", None, "delete"),
        ("b", "b", "equal"),
    ]


def test_document_lines_request_headers_and_pretty_json() -> None:
    lines = document_lines(cap({"a": 1}, query="q=1"))
    assert lines == [
        "POST /h?q=1 HTTP/1.1",
        "Content-Type: application/json",
        "",
        "{",
        '  "a": 1',
        "}",
    ]


def test_two_large_json_bodies_find_exactly_the_changed_prices() -> None:
    doc_a = {"items": [{"id": i, "price": i * 10} for i in range(500)]}
    doc_b = {"items": [{"id": i, "price": i * 10 + (i % 50 == 0)} for i in range(500)]}
    a, b = cap(doc_a), cap(doc_b)
    assert len(document_lines(a)) > 2000
    entries = diff_captures(a, b)
    rows = side_by_side(document_lines(a), document_lines(b))
    assert [e.path for e in entries] == [f"body.items.{i}.price" for i in range(0, 500, 50)]
    assert [(r.left, r.right) for r in rows if r.tag != "equal"] == [
        (f'      "price": {i * 10}', f'      "price": {i * 10 + 1}') for i in range(0, 500, 50)
    ]
