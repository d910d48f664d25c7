"""A store is its user's alone: its files are never opened through a symlink, and a store
directory or file another user owns (or, for reading, others may write) is refused with
one line, touching nothing; with umask 000 the directories are still created 0700."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from tests.conftest import add, run

COMMANDS = [["ls"], ["show", "last"], ["store", "info"], ["store", "check"], ["rm", "1"]]


@pytest.fixture
def made(store: Path) -> Path:
    add(store, Capture("POST", "/x", "", [], b"{}"))
    return store


def _refused(store: Path, args: list[str], what: str) -> None:
    r = run(store, *args)
    err = r.stderr.decode()
    assert r.returncode == 1, (args, err)
    assert len(err.splitlines()) == 1 and err.startswith(f"error: refusing the store {store}")
    assert what in err, err


@pytest.mark.parametrize("name", ["captures.jsonl", "index.jsonl"])
@pytest.mark.parametrize("args", COMMANDS)
def test_a_symlinked_store_file_is_refused_and_its_target_untouched(
    made: Path, tmp_path: Path, name: str, args: list[str]
) -> None:
    outside = tmp_path / "outside"
    (made / name).rename(outside)
    (made / name).symlink_to(outside)
    before = outside.read_bytes(), stat.S_IMODE(outside.stat().st_mode)
    _refused(made, args, f"{made / name} is a symlink")
    assert (outside.read_bytes(), stat.S_IMODE(outside.stat().st_mode)) == before


def test_a_file_others_may_write_is_refused_for_reading(made: Path) -> None:
    (made / "index.jsonl").chmod(0o666)
    _refused(made, ["ls"], "is writable by other users")


def test_a_writer_takes_those_bits_away(made: Path) -> None:
    (made / "index.jsonl").chmod(0o666)
    add(made, Capture("POST", "/y", "", [], b"{}"))
    assert stat.S_IMODE((made / "index.jsonl").stat().st_mode) == 0o600
    assert run(made, "ls").returncode == 0


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
@pytest.mark.parametrize("target", ["dir", "captures.jsonl"])
@pytest.mark.parametrize("args", COMMANDS)
def test_another_users_store_is_refused(made: Path, target: str, args: list[str]) -> None:
    path = made if target == "dir" else made / target
    os.chown(path, 4321, -1)
    before = {p.name: p.read_bytes() for p in made.iterdir()}
    _refused(made, args, "owned by another user (uid 4321)")
    assert {p.name: p.read_bytes() for p in made.iterdir()} == before


def test_umask_000_still_creates_owner_only_directories(tmp_path: Path) -> None:
    store = tmp_path / "a" / "b" / "store"
    old = os.umask(0)
    try:
        add(store, Capture("POST", "/x", "", [], b"{}"))
    finally:
        os.umask(old)
    for d in (tmp_path / "a", tmp_path / "a" / "b", store):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    for f in store.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
