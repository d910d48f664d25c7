"""Retention, compaction, the running totals, `show N` by bisection, prune and check: the
store keeps what is live byte for byte, gives the rest back, and never reuses an id."""

from __future__ import annotations

import json
import os
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from hookcli.model.capture import Attempt, Capture
from hookcli.store import NotFound, Store, StoreCorrupt, seek
from hookcli.store.check import check
from hookcli.store.log import INDEX_NAME, LOG_NAME


def cap(path: str = "/x", size: int = 100, when: datetime | None = None) -> Capture:
    c = Capture("POST", path, "", [("Content-Type", "application/json")], b"x" * size)
    if when is not None:
        c.received_at = when.isoformat()
    return c


def attempt(status: int = 200) -> Attempt:
    return Attempt("2026-01-01T00:00:00+00:00", "http://t/a", status, 1.0)


def live_ids(root: Path) -> list[int]:
    return sorted(s["id"] for s in Store(root).summaries())


def log_ops(root: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (root / LOG_NAME).read_bytes().splitlines()]


def test_retention_deletes_in_the_same_append_and_keeps_exactly_n(tmp_path: Path) -> None:
    root = tmp_path / "s"
    st = Store(root)
    for batch in range(1, 8):
        st.add([cap() for _ in range(3)], keep=5)
        assert len(live_ids(root)) == min(5, 3 * batch)
        if batch > 1:
            assert log_ops(root)[-1]["op"] == "del", "the deletion rides with the puts"
    assert live_ids(root) == [17, 18, 19, 20, 21]
    assert st.add([cap() for _ in range(8)], keep=5) == list(range(22, 30)), "ids count on"
    assert live_ids(root) == [25, 26, 27, 28, 29], "a batch bigger than N keeps its newest"
    last = log_ops(root)[-1]
    assert last["op"] == "del" and last["ids"] == list(range(17, 25))
    assert Store(root).retain(2) == [25, 26, 27] and live_ids(root) == [28, 29]


def test_totals_are_what_a_compaction_gives_back(tmp_path: Path) -> None:
    root = tmp_path / "s"
    st = Store(root)
    st.add([cap(f"/{i}", size=200 + i) for i in range(40)])
    st.add_attempts([(i, "forwards", attempt()) for i in (3, 5, 30)])
    st.delete([3, 4, 10])
    st.add([cap() for _ in range(5)], keep=30)
    info = Store(root).info()
    assert info.stats.captures == 30 == len(live_ids(root))
    log_before = (root / LOG_NAME).stat().st_size
    assert info.stats.log_bytes == log_before
    done = Store(root).compact()
    assert done is not None and done.captures == 30
    meta = (root / LOG_NAME).read_bytes().index(b"\n") + 1  # the new first line
    assert (root / LOG_NAME).stat().st_size == log_before - info.stats.garbage + meta
    assert Store(root).info().stats.garbage == 0


def test_compaction_keeps_live_records_byte_for_byte_and_the_next_id(tmp_path: Path) -> None:
    root = tmp_path / "s"
    st = Store(root)
    st.add([cap(f"/{i}", size=50 * i) for i in range(1, 30)])
    st.add_attempts([(2, "forwards", attempt(502)), (2, "replays", attempt(200))])
    st.add_attempts([(7, "forwards", attempt())])
    st.delete([1, 7, 8, 20])
    before = {i: Store(root).get(i).to_record() for i in live_ids(root)}
    lines = {
        op["id"]: line
        for line in (root / LOG_NAME).read_bytes().splitlines()
        if (op := json.loads(line))["op"] == "put"
    }
    Store(root).compact()
    assert {i: Store(root).get(i).to_record() for i in live_ids(root)} == before
    after = [json.loads(x) for x in (root / LOG_NAME).read_bytes().splitlines()]
    assert after[0] == {"op": "meta", "next_id": 30}
    assert {op["op"] for op in after[1:]} == {"put", "attempt"}, "no del line, no dead line"
    kept = [line for line in (root / LOG_NAME).read_bytes().splitlines()[1:]]
    assert all(line in lines.values() for line in kept if b'"op":"put"' in line)
    assert [a.status for a in Store(root).get(2).forwards] == [502]
    with pytest.raises(NotFound):
        Store(root).get(7)
    index = (root / INDEX_NAME).read_bytes()
    (root / INDEX_NAME).unlink()
    Store(root).check()  # a writer rebuilds the index from the log
    assert (root / INDEX_NAME).read_bytes() == index, "the moved index is the log's own"
    assert Store(root).add([cap()]) == [30]
    assert check(root).ok


def test_an_open_writer_and_reader_carry_on_after_a_compaction_elsewhere(tmp_path: Path) -> None:
    root = tmp_path / "s"
    writer, reader = Store(root), Store(root)
    writer.add([cap(size=3000) for _ in range(600)], keep=200)
    assert len(list(reader.summaries())) == 200
    assert Store(root).compact() is not None
    assert writer.add([cap()], keep=200) == [601]
    assert live_ids(root) == list(range(402, 602))
    assert [s["id"] for s in reader.summaries(limit=2)] == [601, 600]
    assert reader.get(402).id == 402


@pytest.mark.parametrize(
    "elsewhere",
    ["nothing", "rm before", "rm after", "put before", "put after", "attempt before"],
)
def test_retention_after_a_compaction_elsewhere_counts_what_is_live(
    tmp_path: Path, elsewhere: str
) -> None:
    """A writer under retention keeps its live ids across a compaction by another process
    only when nothing else changed; whatever another process appended before or after the
    compaction is counted, so the store still holds exactly N."""
    root = tmp_path / "s"
    writer, other = Store(root), Store(root)
    writer.add([cap(size=3000) for _ in range(600)], keep=200)  # ids 401-600 live
    when, _, what = elsewhere.partition(" ")

    def meddle() -> None:
        if what == "rm":
            other.delete([450])
        elif what == "put":
            other.add([cap(path="/other")])
        elif what == "attempt":
            other.add_attempt(500, "forwards", attempt())

    if what and when == "before":
        meddle()
    assert other.compact() is not None
    if what and when == "after":
        meddle()
    new = writer.add([cap() for _ in range(5)], keep=200)
    live = live_ids(root)
    assert len(live) == 200, elsewhere
    assert live[-5:] == new
    assert (450 in live) == (what != "rm")
    assert check(root).ok
    assert Store(root).info().stats.captures == 200


@pytest.mark.parametrize("elsewhere", ["nothing", "attempt", "rm", "put"])
def test_retention_keeps_its_live_ids_across_a_compaction_it_wrote_during(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, elsewhere: str
) -> None:
    """Under load the listener appends (captures and their retention deletions) while the
    helper compacts: the compaction copies those lines as they are, and the listener keeps
    its live ids (no fold of the whole index per compaction) when nothing but its own
    lines came meanwhile. A line from another process during the compaction makes it
    fold them again. Either way the ids are those of the files, and N are kept."""
    from hookcli.store import compact as compaction

    root = tmp_path / "s"
    writer, other = Store(root), Store(root)
    writer.add([cap(size=3000) for _ in range(600)], keep=200)  # ids 401-600 live
    real_bulk = compaction._bulk

    def bulk_while_writing(*args: object) -> None:
        real_bulk(*args)  # type: ignore[arg-type]
        for _ in range(3):  # after the compaction's snapshot: copied by its tail
            writer.add([cap() for _ in range(30)], keep=200)
        if elsewhere == "attempt":
            other.add_attempt(590, "forwards", attempt())
        elif elsewhere == "rm":
            other.delete([595])
        elif elsewhere == "put":
            other.add([cap(path="/other")])

    monkeypatch.setattr(compaction, "_bulk", bulk_while_writing)
    before = writer._files.live
    assert other.compact() is not None
    writer.add([cap()], keep=200)
    kept = writer._files.live is before
    assert kept == (elsewhere == "nothing"), "kept only when all it missed was its own"
    fresh = Store(root)
    with fresh._files.locked():
        fresh._files.track_live()
        fresh._files.sync()
        assert list(fresh._files.live.newest_first()) == list(writer._files.live.newest_first())
        assert fresh._files.live.total == writer._files.live.total
    assert len(live_ids(root)) == 200
    assert check(root).ok


def test_lines_appended_during_a_compaction_are_kept_in_the_fast_layout(tmp_path: Path) -> None:
    """A compaction copies what was appended while it ran (with and without the store's
    lock), every put line in the layout the next compaction moves without parsing."""
    import threading

    root = tmp_path / "s"
    st = Store(root)
    st.add([cap(size=2000) for _ in range(1500)], keep=500)
    stop = threading.Event()
    added: list[int] = []

    def ingest() -> None:
        w = Store(root)
        while not stop.is_set():
            added.extend(w.add([cap(size=2000) for _ in range(5)], keep=500))
        w.close()

    t = threading.Thread(target=ingest)
    t.start()
    try:
        for _ in range(5):
            assert Store(root).compact() is not None
    finally:
        stop.set()
        t.join(30)
    assert added, "the writer ran alongside"
    assert live_ids(root) == list(range(added[-1] - 499, added[-1] + 1))
    puts = [ln for ln in (root / INDEX_NAME).read_bytes().splitlines() if ln.startswith(seek.PUT)]
    assert puts and all(seek.stamps_at(ln) >= 0 for ln in puts)
    assert check(root).ok


def test_deleting_enough_compacts_by_itself(tmp_path: Path) -> None:
    root = tmp_path / "s"
    st = Store(root)
    st.add([cap(size=2000) for _ in range(1200)])
    size = (root / LOG_NAME).stat().st_size
    st.delete(range(1, 401))  # a third: not due
    assert (root / LOG_NAME).stat().st_size > size
    st.delete(range(401, 1001))  # now more than half and more than 1 MiB
    assert (root / LOG_NAME).stat().st_size < size / 4
    assert live_ids(root) == list(range(1001, 1201))
    assert Store(root).info().stats.garbage == 0


def test_show_any_id_by_bisection_honours_later_deletions_and_attempts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seek, "_SMALL", 64)  # many bisection steps even on a small index
    root = tmp_path / "s"
    st = Store(root)
    rng = random.Random(7)
    deleted: set[int] = set()
    tries: dict[int, int] = {}
    for _ in range(60):
        ids = st.add([cap(f"/{rng.random()}", size=rng.randint(0, 300)) for _ in range(4)])
        if rng.random() < 0.3:
            victim = rng.choice(ids)
            deleted.update(st.delete([victim]))
        if rng.random() < 0.4:
            target = rng.randint(1, ids[-1])
            if target not in deleted:
                st.add_attempt(target, "forwards", attempt(tries.get(target, 0) + 200))
                tries[target] = tries.get(target, 0) + 1
    reader = Store(root)
    for cid in range(1, 242):
        if cid in deleted or cid > 240:
            with pytest.raises(NotFound):
                reader.get(cid)
        else:
            got = reader.get(cid)
            assert got.id == cid
            assert [a.status for a in got.forwards] == list(range(200, 200 + tries.get(cid, 0)))


def test_prune_keep_older_than_union_and_dry_run(tmp_path: Path) -> None:
    root = tmp_path / "s"
    now = datetime.now(UTC)
    st = Store(root)
    st.add([cap(when=now - timedelta(days=10 - i)) for i in range(10)])  # ids 1..10
    st.add_attempt(3, "replays", attempt())
    week = now - timedelta(days=7)
    assert st.prune(older_than=week, dry_run=True) == [1, 2, 3]
    assert live_ids(root) == list(range(1, 11)), "a dry run deletes nothing"
    assert st.prune(keep=8, older_than=week) == [1, 2, 3]
    assert st.prune(keep=5) == [4, 5]
    assert live_ids(root) == [6, 7, 8, 9, 10]
    assert Store(tmp_path / "none").prune(keep=1) == []
    assert not (tmp_path / "none").exists(), "pruning nothing creates nothing"


def test_an_index_without_totals_is_counted_once(tmp_path: Path) -> None:
    root = tmp_path / "s"
    st = Store(root)
    st.add([cap(size=500) for _ in range(20)])
    st.delete([2, 5])
    expected = Store(root).info().stats
    index = root / INDEX_NAME
    old = []
    for line in index.read_bytes().splitlines():
        entry = json.loads(line)
        for key in ("c", "g", "k", "freed", "len"):
            if not (key == "len" and entry["op"] == "put"):
                entry.pop(key, None)
        old.append(json.dumps(entry, separators=(",", ":")).encode())
    index.write_bytes(b"\n".join(old) + b"\n")  # as written before the totals existed
    got = Store(root).info().stats
    assert (got.captures, got.garbage) == (expected.captures, expected.garbage)
    assert Store(root).get(3).id == 3
    Store(root).add([cap()])
    assert Store(root).info().stats.captures == 19


def test_an_index_ahead_of_its_log_after_a_power_cut_is_cut_back(tmp_path: Path) -> None:
    root = tmp_path / "s"
    st = Store(root)
    st.add([cap(f"/{i}") for i in range(5)])
    st.close()
    log = root / LOG_NAME
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:3]))  # the last two log lines never reached the disk
    index_before = (root / INDEX_NAME).read_bytes()
    assert live_ids(root) == [1, 2, 3]
    assert (root / INDEX_NAME).read_bytes() == index_before, "a reader changes nothing"
    assert Store(root).add([cap("/new")]) == [4]
    assert live_ids(root) == [1, 2, 3, 4] and check(root).ok


def test_states_a_killed_compaction_can_leave_lose_nothing(tmp_path: Path) -> None:
    """The swap removes the index, renames the new log in, then the new index: between
    those steps the store is a complete log (old or new) without an index."""
    root = tmp_path / "s"
    st = Store(root)
    st.add([cap(f"/{i}", size=300) for i in range(50)])
    st.add_attempt(12, "forwards", attempt())
    st.delete(range(1, 30, 2))
    st.close()
    want = {i: Store(root).get(i).to_record() for i in live_ids(root)}
    old = tmp_path / "old"
    shutil.copytree(root, old)
    Store(root).compact()
    states = {"old log, no index": old / LOG_NAME, "new log, no index": root / LOG_NAME}
    for name, log in states.items():
        state = tmp_path / name.replace(" ", "-").replace(",", "")
        state.mkdir(mode=0o700)
        shutil.copy(log, state / LOG_NAME)
        got = {i: Store(state).get(i).to_record() for i in live_ids(state)}
        assert got == want, name
        assert Store(state).add([cap()]) == [51], name
    leftover = old / (LOG_NAME + ".tmp")
    leftover.write_bytes(b"half a copy")  # killed mid-copy: the old files are untouched
    assert live_ids(old) == sorted(want)


def test_check_names_the_file_and_offset_and_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "s"
    Store(root).add([cap(f"/{i}") for i in range(4)])
    log = root / LOG_NAME
    lines = log.read_bytes().splitlines(keepends=True)
    offset = len(lines[0]) + len(lines[1])
    log.write_bytes(b"".join([*lines[:2], b"garbage\n", *lines[2:]]))
    before = {p.name: (p.read_bytes(), p.stat().st_mode) for p in root.iterdir()}
    report = check(root)
    assert not report.ok
    first = report.problems[0]
    assert (first.file, first.offset) == (log, offset)
    assert "expected a JSON object" in first.message
    assert {p.name: (p.read_bytes(), p.stat().st_mode) for p in root.iterdir()} == before


def test_check_notes_crash_residue_without_failing(tmp_path: Path) -> None:
    root = tmp_path / "s"
    Store(root).add([cap() for _ in range(3)])
    with open(root / LOG_NAME, "ab") as f:
        f.write(b'{"op":"put","id":4,"doc":{"id"')  # a crash mid-append
    report = check(root)
    assert report.ok and report.captures == 3 and report.lines == 3
    assert any("unfinished last line" in n.message for n in report.notes)
    assert not check(tmp_path / "nothing").exists


def test_find_put_on_random_layouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seek, "_SMALL", 16)
    rng = random.Random(3)
    for trial in range(40):
        lines, ids, cid = [], [], 0
        for _ in range(rng.randint(0, 60)):
            if rng.random() < 0.5:
                cid += rng.randint(1, 3)
                ids.append(cid)
                lines.append(b'{"op":"put","id":%d,"pad":"%s"}' % (cid, b"p" * rng.randint(0, 90)))
            else:
                lines.append(b'{"op":"del","ids":[%d]}' % rng.randint(0, 99))
        path = tmp_path / f"i{trial}"
        data = b"".join(x + b"\n" for x in lines)
        path.write_bytes(data)
        fd = os.open(path, os.O_RDONLY)
        try:
            starts = {}
            pos = 0
            for line in lines:
                if line.startswith(seek.PUT):
                    starts[int(line[len(seek.PUT) :].split(b",")[0])] = pos
                pos += len(line) + 1
            for target in range(0, cid + 3):
                assert seek.find_put(fd, len(data), target) == starts.get(target), (trial, target)
        finally:
            os.close(fd)


def test_prepared_attempts_write_the_bytes_the_dict_path_writes(tmp_path: Path) -> None:
    """add_attempts encodes each attempt before taking the lock and adds only the running
    fields under it: the log and index lines are those of the plain `append`."""
    from hookcli.store.log import Prepared

    rec = Attempt(
        "2026-01-01T00:00:00+00:00", "http://t/a", 502, 1.0, response_excerpt='{"end":1}'
    ).to_record()
    items = [(3, "forwards"), (2, "replays"), (1, "forwards")]
    roots = []
    for prepared in (True, False):
        root = tmp_path / str(prepared)
        roots.append(root)
        st = Store(root)
        st.add([cap(when=datetime(2026, 1, 1, tzinfo=UTC)) for _ in range(3)], keep=2)
        files = st._files
        with files.locked():
            files.sync()
            files.append(
                [Prepared.attempt(i, k, orjson.dumps(rec)) for i, k in items]
                if prepared
                else [{"op": "attempt", "id": i, "kind": k, "attempt": rec} for i, k in items]
            )
        st.close()
        assert check(root).ok
    for name in (LOG_NAME, INDEX_NAME):
        assert (roots[0] / name).read_bytes() == (roots[1] / name).read_bytes(), name


def test_stored_by_id_gives_summaries_and_reads_a_record_only_when_asked(tmp_path: Path) -> None:
    """The forwarding helper decides from the summary; a record it never asks for is never
    read: here one whose log line is damaged, which would fail to parse if it were."""
    root = tmp_path / "s"
    st = Store(root)
    ids = st.add([cap(f"/p/{i}", size=10 + i) for i in range(6)])
    st.delete([ids[1]])
    st.add_attempts([(ids[2], "forwards", attempt())])
    with st._files.locked():  # damage capture 5's record in place: same length
        st._files.sync()
        put = st._files.lookup(ids[4], os.path.getsize(root / INDEX_NAME))[0]
    assert put is not None
    with open(root / LOG_NAME, "r+b") as f:
        f.seek(put["off"])
        f.write(b"[")
    reader = Store(root)
    got = reader.stored_by_id([*ids, 99])
    assert [g.summary["id"] for g in got] == [ids[0], *ids[2:]], "deleted and absent left out"
    summaries = {s["id"]: s for s in Store(root).summaries(limit=None)}
    assert all(g.summary == summaries[g.summary["id"]] for g in got)
    assert got[0].summary["path"] == "/p/0" and got[0].summary["body_size"] == 10
    for g in (got[0], got[1], got[4]):
        rec = g.record()
        assert rec["id"] == g.summary["id"] and rec["path"] == g.summary["path"]
        assert Capture.from_record(rec).body == b"x" * g.summary["body_size"]
        assert g.record() is rec, "read once"
    with pytest.raises(StoreCorrupt, match=f"byte {put['off']}"):
        got[3].record()


def test_stored_by_id_bisects_once_while_the_index_runs_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a flood the listener has written more captures than it has named yet: the
    helper's next batch starts its scan where the last one's ids ended (no bisection),
    not at the last put it saw."""
    root = tmp_path / "s"
    writer, helper = Store(root), Store(root)
    bisections = []
    real = seek.find_put

    def counted(fd: int, end: int, target: int) -> int | None:
        bisections.append(target)
        return real(fd, end, target)

    monkeypatch.setattr(seek, "find_put", counted)
    named = writer.add([cap() for _ in range(30)])
    for _ in range(12):
        ahead = writer.add([cap() for _ in range(30)])  # written, not yet named
        got = helper.stored_by_id(named)
        assert [g.summary["id"] for g in got] == named
        helper.add_attempts([(i, "forwards", attempt(502)) for i in named[::7]])
        named = ahead
    assert bisections == [1]


def test_compaction_skipping_the_dead_prefix_writes_what_the_full_walk_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compaction starts its walk of the index at the oldest live capture's put when
    every line before it is dead (retention deletes the oldest). On random stores (
    retention, `rm` anywhere, attempts on live and deleted captures, earlier compactions)
    the files it writes are byte for byte those of a walk from the first line."""
    from hookcli.store import compact as compaction

    real = compaction.first_live
    skipped = 0
    for trial in range(12):
        rng = random.Random(trial)
        root = tmp_path / f"t{trial}" / "s"
        st = Store(root)
        for _ in range(rng.randint(3, 9)):
            ids = st.add([cap(size=rng.randint(10, 400)) for _ in range(rng.randint(1, 40))])
            if rng.random() < 0.7:
                st.retain(rng.randint(5, 60))
            live = live_ids(root)
            if live and rng.random() < 0.4:
                st.delete(rng.sample(live, rng.randint(1, min(3, len(live)))))
            targets = [*rng.sample(ids, min(3, len(ids))), *(live[:2] if live else [])]
            st.add_attempts([(i, "forwards", attempt(rng.choice([200, 502]))) for i in targets])
            if rng.random() < 0.25:
                st.compact()
        st.close()
        full = tmp_path / f"t{trial}" / "full"
        shutil.copytree(root, full)
        monkeypatch.setattr(compaction, "first_live", lambda *a: (0, 0))
        assert Store(full).compact() is not None
        monkeypatch.setattr(compaction, "first_live", real)
        reader = Store(root)
        with reader._files.locked():
            reader._files.sync()
            deleted: set[int] = set()
            for op in log_ops(root):
                if op["op"] == "del":
                    deleted.update(op["ids"])  # type: ignore[arg-type]
            start, _ = real(reader._files, reader._files.extent()[1], deleted)
        skipped += start > 0
        assert Store(root).compact() is not None
        for name in (LOG_NAME, INDEX_NAME):
            assert (root / name).read_bytes() == (full / name).read_bytes(), (trial, name)
        assert check(root).ok
    assert skipped >= 4, "the dead prefix was skipped in some of the trials"


def test_an_attempt_shared_by_captures_is_written_as_each_of_its_copies(tmp_path: Path) -> None:
    """A flood's skips share one Attempt per target and reason, encoded once; the lines
    are those of one Attempt per capture. Attempts made one at a time by a generator
    (each freed before the next: a reused id()) are each written as themselves."""
    shared = Attempt("2026-01-01T00:00:00+00:00", "http://t/a", None, 0.0, "skipped: x")
    roots = []
    for mode in ("shared", "copies"):
        root = tmp_path / mode
        roots.append(root)
        st = Store(root)
        ids = st.add([cap(when=datetime(2026, 1, 1, tzinfo=UTC)) for _ in range(4)])
        if mode == "shared":
            st.add_attempts([(i, "forwards", shared) for i in ids])
        else:
            st.add_attempts([(i, "forwards", Attempt(**vars(shared))) for i in ids])
    for name in (LOG_NAME, INDEX_NAME):
        assert (roots[0] / name).read_bytes() == (roots[1] / name).read_bytes(), name
    st = Store(tmp_path / "fresh")
    ids = st.add([cap() for _ in range(50)])
    st.add_attempts((i, "replays", Attempt(f"at {i}", f"http://t/{i}", 200 + i, 1.0)) for i in ids)
    for i in ids:
        (a,) = st.get(i).replays
        assert (a.at, a.target, a.status) == (f"at {i}", f"http://t/{i}", 200 + i)
