"""Store.records: the full records `export` streams, oldest first, filtered, in one walk."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

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


def test_a_reading_outlives_writes_and_ends_with_its_block(tmp_path: Path) -> None:
    """`with store.reading() as r:`: the records it hands out read the bytes of the moment
    it began, whatever this thread writes meanwhile (a compaction replaces the files), and
    raise after the block instead of reading another file."""
    from hookcli.store.snapshot import ReadingClosed

    root = tmp_path / "s"
    st = Store(root)
    ids = st.add([Capture("POST", f"/{i}", "", [], b"x" * 2000) for i in range(50)])
    with st.reading() as r:
        stored = r.stored_by_id({ids[40], ids[45], 9999})
        assert [s.summary["id"] for s in stored] == [ids[40], ids[45]]
        st.delete(ids[:40])
        st.compact()  # the files are replaced under the reading
        st.add([Capture("POST", "/new", "", [], b"y")])
        assert stored[0].record()["path"] == "/40"
        assert stored[1].record()["body"] == "x" * 2000
    later = r.stored_by_id({ids[41]})
    with pytest.raises(ReadingClosed):
        later[0].record()
    st.close()


def test_a_released_reading_leaves_no_descriptor_open(tmp_path: Path) -> None:
    root = tmp_path / "s"
    st = Store(root)
    st.add([Capture("POST", "/a", "", [], b"a")])
    st.close()
    fd_dir = Path("/proc/self/fd") if Path("/proc/self/fd").exists() else Path("/dev/fd")
    before = set(os.listdir(fd_dir))
    result: list[str] = []

    def worker() -> None:
        with st.reading(release=True) as r:
            result.append(r.stored_by_id({1})[0].record()["path"])

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert result == ["/a"]
    assert set(os.listdir(fd_dir)) <= before, "the worker's descriptors outlived its reading"


def test_one_summary_for_the_index_and_the_capture(tmp_path: Path) -> None:
    from hookcli.store.format import SUMMARY_FIELDS, summary_of

    c = Capture("POST", "/p", "q=1", [("X-A", "1")], b"\xffbin", provider="stripe")
    c.id = 7
    assert tuple(summary_of(c.to_record())) == SUMMARY_FIELDS
    assert c.summary() == summary_of(c.to_record())
    st = Store(tmp_path / "s")
    st.add([c])
    assert next(st.summaries()) == c.summary()
    # an older record without the optional fields reads with their defaults
    old = {"id": 1, "received_at": "2026-01-01T00:00:00+00:00", "method": "GET", "path": "/"}
    assert summary_of(old) == {
        **old,
        "query": "",
        "body_size": 0,
        "provider": None,
        "event_type": None,
        "signature": None,
        "source": "listen",
    }
