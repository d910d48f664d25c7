"""Stores written by earlier versions of hookcli keep working: the vendored stores under
tests/fixtures/stores (see make_fixture_store.py there for how each was made) are read,
written to, compacted and checked as a store made today."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hookcli.model.capture import Attempt, Capture
from hookcli.store import NotFound, Store
from hookcli.store.check import check

FIXTURES = Path(__file__).parents[2] / "fixtures" / "stores"
OLD = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
#: what each vendored store holds: captures 1-8 added, 2, 4 and 8 deleted
LIVE = [7, 6, 5, 3, 1]


@pytest.fixture(params=OLD)
def old(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / "store"
    shutil.copytree(FIXTURES / request.param, root)
    return root


def _files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


def test_the_fixtures_are_there() -> None:
    assert {"v0-951794b", "v1-91731ba"} <= set(OLD)


def test_an_old_store_reads_as_it_was_written_and_reading_changes_nothing(old: Path) -> None:
    before = _files(old)
    st = Store(old)
    assert [s["id"] for s in st.summaries()] == LIVE
    assert [s["id"] for s in st.summaries(limit=2)] == [7, 6]
    first = st.get(1)
    assert first.body == '{"n":1,"text":"café"}'.encode()
    assert first.query == "a=1"
    assert ("X-N", "1") in first.headers
    assert [a.status for a in first.forwards] == [200]
    assert [(a.status, a.error) for a in first.replays] == [(None, "connection refused")]
    assert [a.status for a in st.get(3).forwards] == [500]
    binary = st.get(6)
    assert (binary.body, binary.provider, binary.event_type) == (
        b"\x00\xff binary",
        "stripe",
        "charge.succeeded",
    )
    assert st.get("last").id == 7
    assert [a.status for a in st.get("last").replays] == [204]
    for gone in (2, 4, 8):
        with pytest.raises(NotFound):
            st.get(gone)
    assert st.resolve(["1-8"]) == sorted(LIVE)
    assert [r["id"] for r in st.records()] == sorted(LIVE)
    assert [s.record()["id"] for s in st.stored_by_id({1, 2, 3, 7})] == [1, 3, 7]
    info = st.info()
    assert info.stats.captures == len(LIVE)
    assert info.stats.next_id == 9
    assert info.newest is not None and info.newest["id"] == 7
    assert info.oldest is not None and info.oldest["id"] == 1
    st.close()
    assert _files(old) == before, "reading an old store wrote to it"


def test_an_old_store_takes_new_writes_and_compacts(old: Path) -> None:
    st = Store(old)
    added = st.add([Capture("POST", "/new", "", [], b"new")])
    assert added == [9], "ids go on from the old store's next id"
    st.add_attempt(5, "forwards", Attempt("2026-02-01T00:00:00+00:00", "http://t/5", 201, 1.0))
    assert st.delete([3]) == [3]
    assert check(old).ok
    compacted = st.compact()
    assert compacted is not None and compacted.captures == 5
    st.close()
    again = Store(old)  # a fresh process's view
    assert [s["id"] for s in again.summaries()] == [9, 7, 6, 5, 1]
    assert [a.status for a in again.get(5).forwards] == [201]
    assert [a.status for a in again.get(1).forwards] == [200]
    assert again.get(9).body == b"new"
    assert again.add([Capture("GET", "/", "", [], b"")]) == [10]
    assert again.retain(2) == [1, 5, 6, 7]
    assert [s["id"] for s in again.summaries()] == [10, 9]
    assert check(old).ok
    again.close()


def test_an_old_store_opened_for_writing_first_counts_what_it_holds(old: Path) -> None:
    st = Store(old)
    assert st.check() == 9
    info = st.info()
    assert info.stats.captures == len(LIVE)
    st.close()
