"""Store.records: the full records `export` streams, oldest first, filtered, in one walk."""

from __future__ import annotations

from pathlib import Path

from hookcli.model.capture import Attempt, Capture
from hookcli.store import Store
from hookcli.store.query import Filters


def cap(method: str, path: str, body: bytes = b"{}") -> Capture:
    return Capture(method, path, "", [("X-N", path)], body)


def test_oldest_first_without_deleted_and_without_attempts(tmp_path: Path) -> None:
    st = Store(tmp_path / "s")
    st.add([cap("POST", "/a"), cap("GET", "/b"), cap("POST", "/c"), cap("PUT", "/d")])
    st.delete([2])
    st.add_attempt(3, "replays", Attempt("2026-01-01T00:00:00+00:00", "http://t/c", 200, 1.0))
    docs = list(st.records())
    assert [d["id"] for d in docs] == [1, 3, 4]
    assert [d["path"] for d in docs] == ["/a", "/c", "/d"]
    assert all(d["replays"] == [] for d in docs)


def test_ids_and_filters_narrow_the_walk(tmp_path: Path) -> None:
    st = Store(tmp_path / "s")
    st.add([cap("POST", "/hooks/a", b'{"n":"needle"}'), cap("POST", "/hooks/b"), cap("GET", "/x")])
    assert [d["id"] for d in st.records(ids={2, 3})] == [2, 3]
    f = Filters(method="post", path="/hooks/*")
    assert [d["id"] for d in st.records(match=f.summary_query())] == [1, 2]
    s = Filters(search="NEEDLE")
    assert [d["id"] for d in st.records(record_match=s.record_query())] == [1]
    assert list(st.records(ids=set())) == []


def test_a_store_that_is_not_there_has_no_records(tmp_path: Path) -> None:
    assert list(Store(tmp_path / "none").records()) == []
