"""The store keeps every acknowledged capture, never reuses ids, and never rewrites a file
it cannot read."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from hookcli.model.capture import Attempt, Capture
from hookcli.store import NotFound, Store, StoreCorrupt, StoreUnavailable


def cap(path: str = "/x", body: bytes = b"{}") -> Capture:
    return Capture("POST", path, "", [("Content-Type", "application/json")], body)


def test_ids_are_positive_in_order_and_never_reused(tmp_path: Path) -> None:
    st = Store(tmp_path / "s")
    assert st.add([cap(), cap()]) == [1, 2]
    assert st.delete([2]) == [2]
    assert st.add([cap()]) == [3]
    assert st.clear() == 2
    assert st.add([cap()]) == [4]
    assert [s["id"] for s in Store(tmp_path / "s").summaries()] == [4]
    assert Store(tmp_path / "s").add([cap()]) == [5], "a new process continues the count"


def test_record_round_trips_with_attempts(tmp_path: Path) -> None:
    st = Store(tmp_path / "s")
    c = Capture("PUT", "/a%20b", "q=1", [("X-A", "1"), ("x-a", "2")], b"\xff\x00bin")
    st.add([c])
    st.add_attempt(c.id, "forwards", Attempt("2026-01-01T00:00:00+00:00", "http://t/a", 502, 3.5))
    st.add_attempt(
        c.id, "replays", Attempt("2026-01-01T00:00:01+00:00", "http://t/b", None, 1, "refused")
    )
    st.add_attempt(c.id, "forwards", Attempt("2026-01-01T00:00:02+00:00", "http://t/a", 200, 2.0))
    got = Store(tmp_path / "s").get(c.id)
    assert got.body == b"\xff\x00bin" and got.headers == [("X-A", "1"), ("x-a", "2")]
    assert [a.status for a in got.forwards] == [502, 200]
    assert got.replays[0].error == "refused"
    assert got.to_record()["body_encoding"] == "base64"


def test_get_last_and_unknown(tmp_path: Path) -> None:
    st = Store(tmp_path / "s")
    with pytest.raises(NotFound):
        st.get("last")
    st.add([cap("/1"), cap("/2"), cap("/3")])
    st.delete([3])
    assert st.get("last").path == "/2"
    with pytest.raises(NotFound, match="3"):
        st.get(3)
    with pytest.raises(NotFound, match="99"):
        st.get(99)


def test_resolve_ids_ranges_and_last(tmp_path: Path) -> None:
    st = Store(tmp_path / "s")
    st.add([cap() for _ in range(8)])
    st.delete([5])
    assert st.resolve(["3-7"]) == [3, 4, 6, 7]
    assert st.resolve(["1", "last", "2-2"]) == [1, 2, 8]
    with pytest.raises(NotFound, match="5"):
        st.resolve(["5"])
    with pytest.raises(NotFound, match="20-30"):
        st.resolve(["20-30"])
    with pytest.raises(Exception, match="bad range"):
        st.resolve(["7-3"])
    with pytest.raises(Exception, match="bad capture id"):
        st.resolve(["abc"])


def test_summaries_filter_limit_and_stop(tmp_path: Path) -> None:
    st = Store(tmp_path / "s")
    st.add([cap(f"/{i}", body=b"needle" if i == 3 else b"hay") for i in range(10)])
    assert [s["path"] for s in st.summaries(limit=3)] == ["/9", "/8", "/7"]
    odd = [s["id"] for s in st.summaries(match=lambda s: s["id"] % 2 == 1)]
    assert odd == [9, 7, 5, 3, 1]
    found = st.summaries(record_match=lambda r: r["body"] == "needle")
    assert [s["path"] for s in found] == ["/3"]
    assert [s["id"] for s in st.summaries(stop=lambda s: s["id"] < 8)] == [10, 9, 8]


def test_store_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        st = Store(tmp_path / "s")
        st.add([cap()])
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "s").st_mode) == 0o700
    for f in (tmp_path / "s").iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_torn_last_line_is_skipped_and_repaired(tmp_path: Path) -> None:
    st = Store(tmp_path / "s")
    st.add([cap("/a"), cap("/b")])
    st.close()
    log = tmp_path / "s" / "captures.jsonl"
    with open(log, "ab") as f:  # a crash in the middle of an append
        f.write(b'{"op":"put","id":3,"doc":{"id":3,"meth')
    torn = log.read_bytes()
    st2 = Store(tmp_path / "s")
    assert [s["path"] for s in st2.summaries()] == ["/b", "/a"]
    assert st2.get("last").path == "/b"
    assert log.read_bytes() == torn, "a reader changes nothing"
    assert st2.add([cap("/c")]) == [3]
    lines = log.read_bytes().splitlines()
    assert all(json.loads(line) for line in lines), "the writer cut the torn tail off"
    assert [s["path"] for s in Store(tmp_path / "s").summaries()] == ["/c", "/b", "/a"]


def test_index_rebuilt_when_a_crash_left_it_behind(tmp_path: Path) -> None:
    st = Store(tmp_path / "s")
    st.add([cap("/a")])
    st.close()
    line = json.dumps({"op": "put", "id": 2, "doc": cap("/b").to_record() | {"id": 2}})
    with open(tmp_path / "s" / "captures.jsonl", "a") as f:
        f.write(line + "\n")  # in the log, not yet in the index
    index = tmp_path / "s" / "index.jsonl"
    before = index.read_bytes()
    reader = Store(tmp_path / "s")
    assert [s["path"] for s in reader.summaries()] == ["/b", "/a"]
    assert reader.get(2).path == "/b" and reader.resolve(["1-2"]) == [1, 2]
    assert index.read_bytes() == before, "a reader works around the gap in memory"
    index.unlink()  # a compaction that crashed before its new log was in place
    assert [s["path"] for s in Store(tmp_path / "s").summaries()] == ["/b", "/a"]
    assert not index.exists()
    assert Store(tmp_path / "s").add([cap()]) == [3]
    assert [s["id"] for s in Store(tmp_path / "s").summaries()] == [3, 2, 1]


def test_unreadable_store_is_reported_and_left_untouched(tmp_path: Path) -> None:
    st = Store(tmp_path / "s")
    st.add([cap("/a"), cap("/b")])
    st.close()
    log = tmp_path / "s" / "captures.jsonl"
    data = log.read_bytes()
    broken = data.replace(b'"op":"put","id":1', b'"op":"put","id":1,,,', 1)
    log.write_bytes(broken)
    (tmp_path / "s" / "index.jsonl").unlink()  # force a read of the broken line
    before = {p.name: p.read_bytes() for p in (tmp_path / "s").iterdir()}
    with pytest.raises(StoreCorrupt) as e:
        list(Store(tmp_path / "s").summaries())
    assert str(log) in str(e.value)
    with pytest.raises(StoreCorrupt):
        Store(tmp_path / "s").add([cap()])
    after = {p.name: p.read_bytes() for p in (tmp_path / "s").iterdir()}
    assert after.items() >= before.items() and log.read_bytes() == broken


def test_clear_compacts_and_other_handles_notice(tmp_path: Path) -> None:
    writer = Store(tmp_path / "s")
    writer.add([cap() for _ in range(50)])
    size = os.path.getsize(tmp_path / "s" / "captures.jsonl")
    assert Store(tmp_path / "s").clear() == 50
    assert os.path.getsize(tmp_path / "s" / "captures.jsonl") < size / 10
    assert writer.add([cap("/after")]) == [51], "the open writer sees the new files"
    assert [s["id"] for s in Store(tmp_path / "s").summaries()] == [51]


def _add_many(root: str, n: int, tag: str) -> None:
    st = Store(Path(root))
    for i in range(n):
        st.add([cap(f"/{tag}/{i}")])


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    root = str(tmp_path / "s")
    Store(Path(root)).check()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_many, args=(root, 200, f"p{i}")) for i in range(4)]
    for p in procs:
        p.start()
    deleter = Store(Path(root))
    removed: list[int] = []
    while any(p.is_alive() for p in procs):
        rows = list(deleter.summaries(limit=3))
        if rows:
            removed += deleter.delete([rows[-1]["id"]])
    for p in procs:
        p.join()
        assert p.exitcode == 0
    ids = [s["id"] for s in Store(Path(root)).summaries()]
    assert len(ids) + len(removed) == 800
    assert sorted(ids + removed) == list(range(1, 801))
    for tag in range(4):
        mine = [
            s["path"] for s in Store(Path(root)).summaries() if s["path"].startswith(f"/p{tag}/")
        ]
        seq = [int(p.rsplit("/", 1)[1]) for p in mine]
        assert seq == sorted(seq, reverse=True), "each process's captures keep their order"


def test_reading_creates_nothing_and_changes_no_mode(tmp_path: Path) -> None:
    missing = Store(tmp_path / "no" / "store")
    assert list(missing.summaries()) == [] and not missing.exists()
    with pytest.raises(NotFound, match=f"no captures yet in {tmp_path / 'no' / 'store'}"):
        missing.get("last")
    with pytest.raises(NotFound, match="no store there"):
        missing.resolve(["1"])
    assert missing.clear() == 0
    assert not (tmp_path / "no").exists()

    root = tmp_path / "s"
    Store(root).add([cap("/a")])
    os.chmod(root, 0o750)
    for f in root.iterdir():
        os.chmod(f, 0o640)
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (root, *root.iterdir())}
    reader = Store(root)
    assert reader.exists() and reader.get("last").path == "/a"
    assert [s["path"] for s in reader.summaries()] == ["/a"]
    assert {p: stat.S_IMODE(p.stat().st_mode) for p in (root, *root.iterdir())} == modes
    reader.add([cap("/b")])  # a writer makes it owner-only, granting nothing new
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in root.iterdir()} == {0o600}
    os.chmod(root, 0o500)
    Store(root).add([cap("/c")])
    assert stat.S_IMODE(root.stat().st_mode) == 0o500, "never made writable behind the user"


def test_a_store_path_under_a_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(StoreUnavailable, match="is a file, not a directory"):
        list(Store(tmp_path / "f" / "s").summaries())
    with pytest.raises(StoreUnavailable, match="is a file, not a directory"):
        Store(tmp_path / "f" / "s").add([cap()])
