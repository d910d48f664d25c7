"""The streaming JSON reader: values across window refills, exact positions, and real
errors reported without reading the rest of the file."""

from __future__ import annotations

import io
import json

import pytest

from hookcli.export import jsonstream
from hookcli.export.jsonstream import JsonProblem, Reader


@pytest.fixture
def tiny_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refill every few characters, so every value crosses window edges."""
    monkeypatch.setattr(jsonstream, "_CHUNK", 5)


def reader(text: str) -> Reader:
    return Reader(io.BytesIO(text.encode("utf-8")))


def array_of(text: str) -> tuple[list[object], list[tuple[int, int]]]:
    r = reader(text)
    r.expect("[", "an array")
    values, where = [], []
    for at in r.elements():
        where.append(at)
        values.append(r.value())
    r.end()
    return values, where


def test_values_and_positions_across_refills(tiny_window: None) -> None:
    items = [{"k": "x" * (i * 7), "n": [i, i * 1.5, None, True]} for i in range(30)]
    lines = (
        ["["] + [f"  {json.dumps(v)}," for v in items[:-1]] + [f"  {json.dumps(items[-1])}", "]"]
    )
    values, where = array_of("\n".join(lines))
    assert values == items
    assert where == [(i + 2, 3) for i in range(30)]


def test_a_number_at_the_window_edge_is_read_whole(tiny_window: None) -> None:
    assert array_of("[1234567890123, 42]")[0] == [1234567890123, 42]


def test_members_of_an_object(tiny_window: None) -> None:
    r = reader('{"a": 1, "bb": {"c": [1, 2]}, "d": "é"}')
    r.expect("{", "an object")
    got = {key: r.value() for key in r.members()}
    assert got == {"a": 1, "bb": {"c": [1, 2]}, "d": "é"}


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ('[\n  {"a": 1},\n  {"a" 2}\n]', 3, 8, "Expecting ':' delimiter"),
        ("[1, 2", 1, 6, "expected ',' or ']'"),
        ("[1]\n  x", 2, 3, "unexpected text after the JSON document"),
        ('{"a": 1 "b": 2}', 1, 9, "expected ',' or '}'"),
        ("[tru]", 1, 2, "Expecting value"),
    ],
)
def test_errors_name_line_and_column(
    tiny_window: None, text: str, line: int, column: int, message: str
) -> None:
    with pytest.raises(JsonProblem) as e:
        array_of(text) if text.startswith("[") else dict.fromkeys(_members(text))
    assert (e.value.line, e.value.column) == (line, column)
    assert message in e.value.message


def _members(text: str) -> list[str]:
    r = reader(text)
    r.expect("{", "an object")
    return [k for k in r.members() if r.value() is not None]


def test_a_syntax_error_does_not_read_the_rest_of_a_big_file() -> None:
    """An error early in a long file is reported from the first window."""
    body = '[\n  {"a" 1},\n' + '  {"b": 2},\n' * 200_000 + "  {}\n]"
    stream = io.BytesIO(body.encode())
    r = Reader(stream)
    r.expect("[", "an array")
    with pytest.raises(JsonProblem) as e:
        for _ in r.elements():
            r.value()
    assert (e.value.line, e.value.column) == (2, 8)
    assert stream.tell() < len(body) // 2
