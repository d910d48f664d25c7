"""Hostile import files: each refused with one line naming the file, where, and the limit
or the reason, and nothing imported; a deeply nested body imports and shows as text."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import run, run_json

DEPTH = 100_000


def _record(**extra: object) -> dict[str, object]:
    return {"method": "POST", "path": "/x", "headers": [], **extra}


def _import_fails(store: Path, path: Path) -> str:
    r = run(store, "import", str(path))
    err = r.stderr.decode()
    assert r.returncode == 1 and len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {path}: line ") and "unexpected" not in err
    assert "(nothing was imported)" in err
    assert run_json(store, "ls") == []
    return err


def test_nesting_past_the_recursion_limit_names_file_place_and_limit(
    store: Path, tmp_path: Path
) -> None:
    f = tmp_path / "deep.json"
    f.write_text(json.dumps(_record())[:-1] + ', "extra": ' + "[" * DEPTH + "]" * DEPTH + "}")
    err = _import_fails(store, f)
    assert "nested too deeply" in err and f"recursion limit of {sys.getrecursionlimit()}" in err


def test_a_deep_har_entry_too(store: Path, tmp_path: Path) -> None:
    f = tmp_path / "deep.har"
    f.write_text('{"log": {"entries": [' + "[" * DEPTH + "]" * DEPTH + "]}}")
    assert "nested too deeply" in _import_fails(store, f)


def test_a_number_past_the_integer_limit(store: Path, tmp_path: Path) -> None:
    f = tmp_path / "big.json"
    f.write_text(json.dumps(_record())[:-1] + ', "n": ' + "9" * 5000 + "}")
    err = _import_fails(store, f)
    assert "a number of 5000 digits" in err and str(sys.get_int_max_str_digits()) in err
    assert "line 1, column " in err


def test_base64_body_that_is_not_base64_is_refused(store: Path, tmp_path: Path) -> None:
    f = tmp_path / "b64.json"
    f.write_text(json.dumps(_record(body="bm90IGJh!!!c2U2NA==", body_encoding="base64")))
    assert "body does not decode as base64" in _import_fails(store, f)


@pytest.mark.parametrize("name", ["ebcdic", "utf-16", 7])
def test_unknown_headers_encoding_is_refused(store: Path, tmp_path: Path, name: object) -> None:
    f = tmp_path / "enc.json"
    f.write_text(json.dumps(_record(body="x", headers_encoding=name)))
    assert "headers_encoding" in _import_fails(store, f)


@pytest.mark.parametrize("name", ["utf-8", "UTF8", "latin-1", "iso-8859-1", None])
def test_known_headers_encodings_import(store: Path, tmp_path: Path, name: object) -> None:
    f = tmp_path / "enc.json"
    f.write_text(json.dumps(_record(body="x", headers_encoding=name)))
    assert run(store, "import", str(f)).returncode == 0


def test_a_deeply_nested_json_body_imports_and_shows_as_text(store: Path, tmp_path: Path) -> None:
    body = "[" * DEPTH + "]" * DEPTH
    headers = [["Content-Type", "application/json"], ["Stripe-Signature", "t=1,v1=00"]]
    f = tmp_path / "body.json"
    f.write_text(json.dumps(_record(headers=headers, body=body)))
    assert run(store, "import", str(f)).returncode == 0
    shown = run(store, "show", "last")
    assert shown.returncode == 0, shown.stderr
    assert "Body (text" in shown.stdout.decode()
    verdict = run(store, "verify", "last", "--secret", "whsec_x")
    assert "unexpected" not in verdict.stderr.decode()
