"""The command itself: help, version, module entry, completion, lazy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hookcli import __version__
from tests.conftest import HOOKCLI, cli_env, run, run_process

HEAVY = ("aiohttp", "textual", "pyngrok")


def test_version_help_and_module(store: Path) -> None:
    r = run(store, "--version")
    assert r.returncode == 0 and r.stdout.decode().strip() == f"hookcli {__version__}"
    r = run(store, "--help")
    assert r.returncode == 0
    for cmd in (b"listen", b"ls", b"show", b"rm", b"clear"):
        assert cmd in r.stdout


def test_unknown_command_is_a_one_line_usage_error(store: Path) -> None:
    r = run(store, "no-such-command")
    assert r.returncode == 2
    assert r.stderr.decode() == "error: no such command 'no-such-command' (see `hookcli --help`)\n"


def test_shell_completion_is_offered(store: Path) -> None:
    # a process of its own: typer finds the shell among the process's ancestors
    r = run_process(store, "--show-completion", "bash", SHELL="/bin/bash")
    assert r.returncode == 0 and b"complete" in r.stdout


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["ls", "--json"], ["ls", "--help"]])
def test_light_commands_do_not_import_heavy_packages(store: Path, args: list[str]) -> None:
    r = subprocess.run(
        [sys.executable, "-X", "importtime", *HOOKCLI[1:], *args],
        capture_output=True,
        env=cli_env(store),
    )
    assert r.returncode == 0, r.stderr[-500:]
    imported = {
        line.split("|")[-1].strip().split(".")[0] for line in r.stderr.decode().splitlines()
    }
    assert "hookcli" in imported, "importtime output was read"
    for pkg in HEAVY:
        assert pkg not in imported, f"{args} imports {pkg}"
