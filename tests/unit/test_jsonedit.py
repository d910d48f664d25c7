"""--set dotted-path edits."""

from __future__ import annotations

from typing import Any

import pytest

from hookcli.errors import UsageError
from hookcli.model.jsonedit import apply_sets, format_path, parse_set


@pytest.mark.parametrize(
    ("expr", "path", "value"),
    [
        ("a.b.0.c=1", ["a", "b", 0, "c"], 1),
        ("amount=4242", ["amount"], 4242),
        ("name=Ada", ["name"], "Ada"),
        ('id="42"', ["id"], "42"),
        ("flag=true", ["flag"], True),
        ("x=null", ["x"], None),
        ('obj={"k": [1]}', ["obj"], {"k": [1]}),
        ("empty=", ["empty"], ""),
        ("url=http://x/?a=b", ["url"], "http://x/?a=b"),
        (r"k\.dot.x=1", ["k.dot", "x"], 1),
    ],
)
def test_parse_set(expr: str, path: list[Any], value: Any) -> None:
    assert parse_set(expr) == (path, value)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("nothing", "has no '='"),
        ("=1", "empty path"),
        ("a..b=1", "empty segment"),
    ],
)
def test_parse_set_errors(expr: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_set(expr)


def test_apply_sets_edits_a_copy_and_creates_keys() -> None:
    doc = {"data": {"object": {"amount": 1000, "items": [{"price": 1}]}}}
    out = apply_sets(
        doc, ["data.object.amount=2000", "data.object.items.0.price=5", "meta.new.k=v"]
    )
    assert out == {
        "data": {"object": {"amount": 2000, "items": [{"price": 5}]}},
        "meta": {"new": {"k": "v"}},
    }
    assert doc["data"]["object"]["amount"] == 1000


def test_numeric_segment_is_a_key_in_objects() -> None:
    assert apply_sets({"a": {}}, ["a.0=x"]) == {"a": {"0": "x"}}


def test_top_level_array() -> None:
    assert apply_sets([1, {"a": 1}], ["1.a=2"]) == [1, {"a": 2}]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("items.3.price=1", "cannot set items.3.price: index 3 is out of range (items has 1 item)"),
        ("items.x=1", "cannot set items.x: items is an array, and 'x' is not an index"),
        ("name.first=A", "cannot set name.first: name is a string, not an object or array"),
        ("n.k=1", "cannot set n.k: n is a number"),
    ],
)
def test_apply_errors_name_the_path(expr: str, message: str) -> None:
    with pytest.raises(UsageError) as err:
        apply_sets({"items": [{}], "name": "Ada", "n": 1}, [expr])
    assert err.value.message.startswith(message)


def test_scalar_document_cannot_be_edited() -> None:
    with pytest.raises(UsageError, match="the document is a string"):
        apply_sets("text", ["a=1"])


def test_format_path_round_trips_dots() -> None:
    assert format_path(["a.b", 0, "c"]) == r"a\.b.0.c"
