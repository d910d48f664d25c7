"""Reading commands create nothing and change no mode; a store whose files cannot be opened
or written is one line naming the path and the fix; a failed `clear` leaves nothing behind.

Permissions mean nothing to root, and `nobody` cannot run this interpreter (it lives under
/root), so as root the commands run as root without the capabilities that bypass file
permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER): an owner bound by the
mode bits like any user. As any other user they run as that user."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from hookcli.store import Store
from tests.conftest import HOOKCLI, cli_env, run, run_json

AS_ROOT = os.geteuid() == 0
_PR_CAPBSET_DROP = 24
_DAC_CAPS = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def _bound_by_modes() -> None:
    """In the child, before exec: drop the permission-bypassing capabilities from the
    bounding set, so the exec'd process (root or not) never has them."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _DAC_CAPS:
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _can_drop_capabilities() -> bool:
    try:
        subprocess.run(["true"], preexec_fn=_bound_by_modes, check=True)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


needs_modes = pytest.mark.skipif(
    AS_ROOT and not _can_drop_capabilities(),
    reason="running as root without CAP_SETPCAP: file modes cannot be made to apply",
)


def as_user(store: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """`hookcli ARGS` as a process the store's file modes apply to."""
    return subprocess.run(
        [*HOOKCLI, *args],
        capture_output=True,
        timeout=60,
        env=cli_env(store),
        preexec_fn=_bound_by_modes if AS_ROOT else None,
    )


@pytest.fixture
def user_store(tmp_path: Path) -> Iterator[Path]:
    """A store with two captures, owned by the user the commands run as."""
    root = tmp_path / "store"
    st = Store(root)
    st.add([_cap("/a"), _cap("/b")])
    st.close()
    try:
        yield root
    finally:  # let pytest clean up whatever a test locked
        for p in (root, *root.iterdir()):
            os.chmod(p, 0o700 if p.is_dir() else 0o600)


def _cap(path: str) -> Capture:
    return Capture("POST", path, "", [("Content-Type", "text/plain")], b"body")


def _state(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file's mode and bytes, and the directory's mode."""
    out = {".": (stat.S_IMODE(root.stat().st_mode), b"")}
    for p in root.iterdir():
        out[p.name] = (stat.S_IMODE(p.stat().st_mode), p.read_bytes())
    return out


def _one_line(r: subprocess.CompletedProcess[bytes]) -> str:
    err = r.stderr.decode()
    assert r.returncode == 1, (r.returncode, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "unexpected" not in err, err
    return err


READS: list[tuple[str, ...]] = [
    ("ls",),
    ("ls", "--json"),
    ("show", "last"),
    ("show", "1", "--raw"),
    ("verify", "last", "--provider", "github", "--secret", "s"),
]


# -- no store at the path ------------------------------------------------------------------


def test_reading_a_path_with_no_store_creates_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "typo" / "store"
    r = run(typo, "ls")
    assert r.returncode == 0, r.stderr
    assert run_json(typo, "ls") == []
    for args in (("show", "last"), ("show", "3"), ("verify", "last"), ("rm", "3")):
        err = _one_line(run(typo, *args))
        assert str(typo) in err and "no store there" in err, err
    r = run(typo, "clear", "--yes")
    assert r.returncode == 0 and b"Removed 0" in r.stdout
    assert not (tmp_path / "typo").exists()


def test_a_store_path_under_a_regular_file_is_one_line(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a directory")
    for args in (("ls",), ("show", "last"), ("rm", "1"), ("clear", "--yes")):
        err = _one_line(run(afile / "store", *args))
        assert f"{afile} is a file, not a directory" in err and "--store" in err, err
    assert afile.read_text() == "not a directory"


# -- modes the user chose ------------------------------------------------------------------


@pytest.mark.long
@needs_modes
def test_a_0500_store_directory_is_read_and_left_0500(user_store: Path) -> None:
    os.chmod(user_store, 0o500)
    before = _state(user_store)
    for args in READS:
        r = as_user(user_store, *args)
        assert r.returncode in (0, 1) and b"Traceback" not in r.stderr, (args, r.stderr)
        assert b"permission" not in r.stderr.lower(), (args, r.stderr)
    assert [x["path"] for x in run_json(user_store, "ls")] == ["/b", "/a"]
    assert _state(user_store) == before
    # clear must create its new log beside the old one: refused, nothing left behind
    err = _one_line(as_user(user_store, "clear", "--yes"))
    assert "permission denied" in err and str(user_store) in err, err
    assert _state(user_store) == before


@pytest.mark.long
@needs_modes
def test_0400_store_files_are_read_but_not_written(user_store: Path) -> None:
    for f in user_store.iterdir():
        os.chmod(f, 0o400)
    before = _state(user_store)
    r = as_user(user_store, "ls", "--json")
    assert r.returncode == 0, r.stderr
    assert as_user(user_store, "show", "last", "--body").stdout == b"body"
    for args in (("rm", "1"), ("clear", "--yes")):
        err = _one_line(as_user(user_store, *args))
        assert "permission denied on" in err and str(user_store) in err and "u+rw" in err, err
    r = as_user(user_store, "listen", "--port", "0")
    err = _one_line(r)
    assert "permission denied" in err
    assert _state(user_store) == before


@pytest.mark.long
@needs_modes
def test_store_files_the_user_cannot_read_are_one_line(user_store: Path) -> None:
    for f in user_store.iterdir():
        os.chmod(f, 0o200)  # write-only: not even the owner may read them
    before = _state(user_store)
    for args in READS:
        err = _one_line(as_user(user_store, *args))
        assert "permission denied" in err and str(user_store) in err, (args, err)
        assert "ls -ld" in err
    assert _state(user_store) == before


# -- a write that fails --------------------------------------------------------------------


def _tiny_file_size_limit() -> Callable[[], None]:
    def limit() -> None:
        # writes past 16 bytes fail with EFBIG, as on a full disk (not killed by SIGXFSZ)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (16, 16))

    return limit


def test_clear_that_cannot_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    root = tmp_path / "store"
    st = Store(root)
    st.add([_cap("/a"), _cap("/b")])
    st.close()
    before = _state(root)
    r = subprocess.run(
        [*HOOKCLI, "clear", "--yes"],
        capture_output=True,
        timeout=60,
        env=cli_env(root),
        preexec_fn=_tiny_file_size_limit(),
    )
    err = _one_line(r)
    assert str(root) in err and "left as it was" in err, err
    assert not (root / "captures.jsonl.tmp").exists()
    assert _state(root) == before
    assert [x["path"] for x in run_json(root, "ls")] == ["/b", "/a"]
