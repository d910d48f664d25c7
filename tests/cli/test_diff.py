"""`hookcli diff` from the shell: captures and record files, --json, --ignore, --exit-code,
escaping, and every way it can fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from tests.conftest import add, run, run_json

JSON = [("Content-Type", "application/json")]


@pytest.fixture
def two(store: Path) -> Path:
    add(
        store,
        Capture(
            "POST",
            "/hooks/stripe",
            "",
            [*JSON, ("Stripe-Signature", "t=1,v1=aa")],
            b'{"created": 1, "data": {"object": {"amount": 1000}}}',
        ),
        Capture(
            "POST",
            "/hooks/stripe",
            "",
            [*JSON, ("stripe-signature", "t=2,v1=bb")],
            b'{"created": 2, "data": {"object": {"amount": 2000}}}',
        ),
    )
    return store


def test_human_output_names_each_changed_path(two: Path) -> None:
    r = run(two, "diff", "1", "last")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "--- a: #1 POST /hooks/stripe" in out and "+++ b: #2 POST /hooks/stripe" in out
    assert "~ body.data.object.amount: 1000 -> 2000" in out
    assert '~ headers.stripe-signature: "t=1,v1=aa" -> "t=2,v1=bb"' in out
    assert "3 differences" in out


def test_a_whole_object_is_summarised_and_long_lines_cut_at_80_columns(store: Path) -> None:
    data = {f"key_{i}": f"value number {i} " * 3 for i in range(12)}
    a = {"id": "evt_1", "data": data, "note": "x" * 200}
    b = {"id": "evt_1", "items": list(range(100, 130)), "note": "y" * 200, "tag": {"a": 1}}
    add(
        store,
        Capture("POST", "/h", "", JSON, json.dumps(a).encode()),
        Capture("POST", "/h", "", JSON, json.dumps(b).encode()),
    )
    r = run(store, "diff", "1", "2", COLUMNS="80")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert "- body.data: object with 12 keys" in lines
    assert "+ body.items: array of 30 items" in lines
    assert '+ body.tag: {"a": 1}' in lines  # short enough to show as it is
    note = next(line for line in lines if line.startswith("~ body.note: "))
    assert note.endswith("…") and len(note) == 80
    assert all(len(line) <= 80 for line in lines) and len(lines) == 7, lines
    full = run(store, "diff", "1", "2", "--full", COLUMNS="80").stdout.decode().splitlines()
    assert full[3:6] == [
        "    {",
        '      "key_0": "value number 0 value number 0 value number 0 ",',
        '      "key_1": "value number 1 value number 1 value number 1 ",',
    ]
    assert all(len(line) <= 80 for line in full)
    assert '      "key_11": "value number 11 value number 11 value number 11 "' in full


def test_json_is_the_list_of_entries(two: Path) -> None:
    assert run_json(two, "diff", "1", "2") == [
        {"path": "headers.stripe-signature", "kind": "changed", "a": "t=1,v1=aa", "b": "t=2,v1=bb"},
        {"path": "body.created", "kind": "changed", "a": 1, "b": 2},
        {"path": "body.data.object.amount", "kind": "changed", "a": 1000, "b": 2000},
    ]


def test_ignore_hides_fields_that_always_change(two: Path) -> None:
    rows = run_json(
        two, "diff", "1", "2", "--ignore", "body.created", "--ignore", "headers.Stripe-Signature"
    )
    assert [e["path"] for e in rows] == ["body.data.object.amount"]
    out = run(two, "diff", "1", "2", "--ignore", "body.*", "--ignore", "headers.*").stdout
    assert b"No differences (3 hidden by --ignore)" in out


def test_exit_code_is_1_only_when_they_differ_and_asked(two: Path) -> None:
    assert run(two, "diff", "1", "2").returncode == 0
    assert run(two, "diff", "1", "2", "--exit-code").returncode == 1
    r = run(two, "diff", "2", "2", "--exit-code")
    assert r.returncode == 0 and b"No differences" in r.stdout


def test_against_a_record_file_as_show_json_prints(two: Path, tmp_path: Path) -> None:
    record = run_json(two, "show", "1")
    record["body"] = json.dumps({"created": 1, "data": {"object": {"amount": 1500}}})
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps(record))
    assert run_json(two, "diff", "1", str(fixture)) == [
        {"path": "body.data.object.amount", "kind": "changed", "a": 1000, "b": 1500}
    ]
    r = run(two, "diff", str(fixture), "1")
    assert f"--- a: {fixture}".encode() in r.stdout


def test_two_files_need_no_store(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps({"method": "GET", "path": "/x", "headers": []}))
    b.write_text(json.dumps({"method": "GET", "path": "/y", "headers": []}))
    store = tmp_path / "no-store"
    assert run_json(store, "diff", str(a), str(b)) == [
        {"path": "path", "kind": "changed", "a": "/x", "b": "/y"}
    ]
    assert not store.exists()


def test_request_data_is_shown_escaped(store: Path) -> None:
    hostile = "\x1b]52;c;cGF3bmVk\x07\x1b[31m[bold]x[/bold]"
    add(
        store,
        Capture("GET", "/a", "", [("X-Evil", "ok")], b""),
        Capture("GET", "/a\x1b[2J", "", [("X-Evil", hostile)], b""),
    )
    out = run(store, "diff", "1", "2").stdout
    assert b"\x1b" not in out and b"\x07" not in out
    assert b"[bold]x[/bold]" in out, "rich markup is shown literally"


def test_unknown_id_exits_1(two: Path) -> None:
    r = run(two, "diff", "1", "99")
    assert r.returncode == 1
    assert r.stderr.decode().strip() == (
        f"error: no capture 99 in {two} (run `hookcli ls` to see the ids)"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, b"is neither a capture id nor a file"),
        ("{not json", b"is not JSON"),
        ("[1, 2]", b"is not a capture record"),
        ('{"method": "GET"}', b"is not a capture record"),
    ],
)
def test_bad_files_are_usage_errors(
    two: Path, tmp_path: Path, content: str | None, message: bytes
) -> None:
    path = tmp_path / "side.json"
    if content is not None:
        path.write_text(content)
    r = run(two, "diff", "1", str(path))
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and b"Traceback" not in r.stderr
    assert len(r.stderr.decode().strip().splitlines()) == 1


def test_missing_argument_is_a_usage_error(two: Path) -> None:
    assert run(two, "diff", "1").returncode == 2
