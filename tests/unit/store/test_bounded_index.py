"""One hostile capture must not slow every reader: the index keeps at most a few KiB of a
path, query or event type (the record keeps them whole), and the backward reader is
linear in a line's length."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from hookcli.store import Store, reading
from hookcli.store.format import SUMMARY_TEXT_MAX
from tests.conftest import run, run_json

BIG = 3 * 1024 * 1024


def test_the_index_holds_a_bounded_summary_and_the_record_the_whole(store: Path) -> None:
    st = Store(store)
    try:
        cap = Capture("POST", "/p" + "a" * BIG, "q=" + "b" * BIG, [], b"{}")
        cap.provider, cap.event_type = "stripe", "t" * BIG
        st.add([cap])
    finally:
        st.close()
    assert (store / "index.jsonl").stat().st_size < 4 * SUMMARY_TEXT_MAX + 1024
    (row,) = run_json(store, "ls")
    for key in ("path", "query", "event_type"):
        assert len(row[key]) == SUMMARY_TEXT_MAX and row[key].endswith("…")
    rec = run_json(store, "show", "1")
    assert rec["event_type"] == "t" * BIG and rec["path"] == "/p" + "a" * BIG
    assert run(store, "store", "check").returncode == 0


def test_a_line_of_many_blocks_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with 16-byte blocks a 64 KiB line spans 4096 of them, held and joined once
    monkeypatch.setattr(reading, "_BLOCK", 16)
    path = tmp_path / "f"
    long = b"x" * 65536
    path.write_bytes(b"first\n" + long + b"\nlast\n")
    fd = os.open(path, os.O_RDONLY)
    try:
        got = list(reading.lines_backward(fd, os.fstat(fd).st_size))
    finally:
        os.close(fd)
    assert [line for _, line in got] == [b"last", long, b"first"]
    assert [off for off, _ in got] == [6 + 65536 + 1, 6, 0]
