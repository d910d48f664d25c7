"""Every signature vector (the shared 69 and ours for the profiles) through the real CLI:
stored as a capture, then `hookcli verify --json` must say valid, or invalid for the
vector's reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from hookcli.model.capture import Capture
from hookcli.store import Store
from tests.conftest import run
from tests.unit.signing.test_signing_vectors import (
    REASONS,
    VECTORS,
    _headers,
    _provider,
    receiver_secret,
)


def store_vector(store: Path, v: dict[str, Any]) -> None:
    url = urlsplit(v["url"] or "http://127.0.0.1:9000/hooks")
    headers = [("Host", url.netloc), *_headers(v)]
    cap = Capture(v["method"], url.path or "/", url.query, headers, v["body"].encode("utf-8"))
    st = Store(store)
    try:
        st.add([cap])
    finally:
        st.close()


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_through_verify(store: Path, v: dict[str, Any]) -> None:
    store_vector(store, v)
    args = ["verify", "last", "--json", "--provider", _provider(v)]
    args += ["--secret", receiver_secret(v)]
    if v["now"] is not None:
        args += ["--now", str(v["now"])]
    if v["tolerance"] is not None:
        args += ["--tolerance", str(v["tolerance"])]
    if v["url"]:
        args += ["--url", v["url"]]
    r = run(store, *args, HOOKCLI_CONFIG="/nonexistent")
    assert r.stderr == b"", r.stderr
    doc = json.loads(r.stdout)
    assert doc["valid"] is v["valid"], doc
    assert r.returncode == (0 if v["valid"] else 1)
    if not v["valid"]:
        assert doc["reason"] == REASONS[v["reason"]], doc
