"""`export --out` writes into what is there as files are written: a FIFO or a device gets
the bytes, a file keeps its mode, a symlink out of its directory is refused, and
unredacted exports are created 0600."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from tests.conftest import add, run


@pytest.fixture
def one(store: Path) -> Path:
    add(store, Capture("POST", "/hooks/x", "", [("Authorization", "Bearer s3cret")], b"{}"))
    return store


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_an_existing_file_keeps_its_mode(one: Path, tmp_path: Path) -> None:
    out = tmp_path / "hooks.har"
    out.write_text("old")
    out.chmod(0o640)
    r = run(one, "export", "1", "--format", "har", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert _mode(out) == 0o640 and out.read_text().startswith("{")


@pytest.mark.parametrize(("fmt", "extra"), [("curl", []), ("httpie", []), ("har", ["--no-redact"])])
def test_unredacted_exports_are_created_0600(
    one: Path, tmp_path: Path, fmt: str, extra: list[str]
) -> None:
    out = tmp_path / f"out.{fmt}"
    r = run(one, "export", "1", "--format", fmt, "--out", str(out), *extra)
    assert r.returncode == 0, r.stderr
    assert _mode(out) == 0o600 and b"s3cret" in out.read_bytes()


def test_a_redacted_export_follows_the_umask(one: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.har"
    old = os.umask(0o022)
    try:
        r = run(one, "export", "1", "--format", "har", "--out", str(out))
    finally:
        os.umask(old)
    assert r.returncode == 0 and _mode(out) == 0o644


def test_unredacted_fixtures_are_0600(one: Path, tmp_path: Path) -> None:
    r = run(one, "export", "1", "--out", str(tmp_path / "fx"), "--no-redact")
    assert r.returncode == 0, r.stderr
    (f,) = (tmp_path / "fx").iterdir()
    assert _mode(f) == 0o600


def test_a_fifo_receives_the_bytes_and_stays_a_fifo(one: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    r = run(one, "export", "1", "--format", "curl", "--out", str(fifo))
    reader.join(60)
    assert r.returncode == 0, r.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert got and b"\ncurl " in got[0]


def test_a_full_device_is_an_error_and_is_not_replaced(one: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    r = run(one, "export", "1", "--format", "curl", "--out", "/dev/full")
    assert r.returncode == 1
    assert r.stderr.decode().startswith("error: cannot write /dev/full: No space left")
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode)


def test_a_symlink_out_of_its_directory_is_refused(one: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "victim.txt"
    outside.parent.mkdir()
    outside.write_text("keep me")
    here = tmp_path / "exports"
    here.mkdir()
    link = here / "hooks.sh"
    link.symlink_to(outside)
    r = run(one, "export", "1", "--format", "curl", "--out", str(link))
    assert r.returncode == 1 and "outside" in r.stderr.decode()
    assert outside.read_text() == "keep me" and link.is_symlink()


def test_a_symlink_inside_its_directory_writes_the_target(one: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.sh"
    target.write_text("old")
    link = tmp_path / "hooks.sh"
    link.symlink_to(target)
    r = run(one, "export", "1", "--format", "curl", "--out", str(link))
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and "\ncurl " in target.read_text()


def test_a_fixture_file_that_is_a_symlink_is_not_followed(one: Path, tmp_path: Path) -> None:
    fx = tmp_path / "fx"
    run(one, "export", "1", "--out", str(fx))
    (name,) = [p.name for p in fx.iterdir()]
    (fx / name).unlink()
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (fx / name).symlink_to(victim)
    r = run(one, "export", "1", "--out", str(fx))
    assert r.returncode == 1 and "symlink" in r.stderr.decode()
    assert victim.read_text() == "keep me"
