"""What a newcomer reads: help that loses no text and names the environment, and errors
that are one line naming the real problem and the way out."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from tests.conftest import run
from tests.receiver import Receiver

COMMANDS = [
    "listen",
    "ls",
    "show",
    "rm",
    "clear",
    "verify",
    "fabricate",
    "providers",
    "replay",
    "export",
    "import",
]


def help_text(store: Path, *args: str) -> str:
    r = run(store, *args, "--help", COLUMNS="80")
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout.decode()


@pytest.mark.parametrize("command", COMMANDS)
def test_help_names_the_store_variable_and_shows_no_types_or_boxes(
    store: Path, command: str
) -> None:
    text = help_text(store, command)
    assert "[env var: HOOKCLI_STORE]" in " ".join(text.split())
    for noise in ("<bool>", "<str>", "<int", "<float", "<dir>", "╭", "│"):
        assert noise not in text, f"{noise!r} in `{command} --help`"
    assert max(len(line) for line in text.splitlines()) <= 80


OPTION_LINE = re.compile(r"^\s+(?:-\w, )?--([\w-]+) (\S+)")


@pytest.mark.parametrize("command", [*COMMANDS, "diff", "tui", "prune", "store info"])
def test_option_values_are_named_for_what_they_take(store: Path, command: str) -> None:
    """typer's default metavar is the parameter's own name (`--repeat REPEAT`, `--set
    SET_`): it says nothing; every option that takes a value names its kind (N, URL...),
    unless the option's name is that kind already (`--port PORT`)."""
    self_describing = {"PORT", "METHOD", "SECRET", "FORMAT", "PATH", "URL", "EVENT"}
    for line in help_text(store, *command.split()).splitlines():
        m = OPTION_LINE.match(line)
        if m:
            name, metavar = m.group(1).replace("-", "_").upper(), m.group(2)
            if name in self_describing:
                continue
            assert metavar.rstrip("_") != name, f"`{command} --help`: {line.strip()}"


@pytest.mark.parametrize("command", ["verify", "fabricate", "listen"])
def test_help_names_the_secret_variable(store: Path, command: str) -> None:
    text = " ".join(help_text(store, command).split())  # help wraps lines
    assert "HOOKCLI_SECRET_<PROVIDER>" in text


def test_help_keeps_bracketed_text_and_shows_defaults(store: Path) -> None:
    verify = " ".join(help_text(store, "verify").split())
    assert "Signing secret (default: $HOOKCLI_SECRET_<PROVIDER>, then [secrets] in the config" in (
        verify
    )
    listen = " ".join(help_text(store, "listen").split())
    for default in ("[default: 127.0.0.1]", "[default: 9000;", "[default: 25MiB]"):
        assert default in listen
    assert "--port PORT" in listen and "--secret PROVIDER=SECRET" in listen
    ls = help_text(store, "ls")
    assert "-n, --limit N" in ls and "--since DURATION" in ls and "1w" in ls


def test_no_arguments_prints_the_help(store: Path) -> None:
    r = run(store)
    assert r.returncode == 0 and "Commands:" in r.stdout.decode() and not r.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["ls", "--limit", "x"], "error: invalid value for '--limit' / '-n': "),
        (["ls", "--nope"], "error: no such option: --nope"),
        (["show"], "error: missing argument 'ID' (see `hookcli show --help`)"),
        (["listen", "--port"], "error: option '--port' requires an argument"),
        (["lss"], "error: no such command 'lss'. Did you mean 'ls'?"),
        (["listen", "--port", "70000"], "error: invalid value for '--port'"),
        (["export", "1", "--format", "xml"], "error: --format 'xml' is not known (use one of"),
        (["export", "--since", "5x"], "error: --since: not a duration: '5x'"),
        (["import"], "error: missing argument 'PATH...' (see `hookcli import --help`)"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(store: Path, args: list[str], says: str) -> None:
    r = run(store, *args)
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert err.startswith(says) and err.count("\n") == 1, err
    assert "Usage:" not in err and "╭" not in err and not r.stdout


@pytest.mark.parametrize("command", ["show", "verify"])
def test_a_range_where_one_id_is_taken_says_so(store: Path, command: str) -> None:
    r = run(store, command, "3-7")
    assert r.returncode == 2
    assert r.stderr.decode() == (
        f"error: {command} takes one capture id, not '3-7' "
        f"(run `hookcli {command}` once per id, or `hookcli ls` to list several)\n"
    )


def test_show_last_on_an_empty_store_names_it_and_how_to_fill_it(tmp_path: Path) -> None:
    store = tmp_path / "captures"
    r = run(store, "show", "last")
    err = r.stderr.decode()
    assert r.returncode == 1
    assert err.startswith(f"error: no captures yet in {store} ")
    assert "hookcli listen" in err and "hookcli ls" not in err and err.count("\n") == 1


def test_show_of_a_missing_id_names_the_store(store: Path) -> None:
    r = run(store, "show", "999")
    assert r.returncode == 1
    assert r.stderr.decode().startswith(f"error: no capture 999 in {store} (")


def test_listen_on_an_address_of_no_interface_blames_the_host(store: Path) -> None:
    r = run(store, "listen", "--host", "256.1.1.1", "--port", "0")
    err = r.stderr.decode()
    assert r.returncode == 1
    assert err.startswith("error: cannot listen on 256.1.1.1: it is not an address of this")
    assert "--host" in err and "--port" not in err and err.count("\n") == 1


def test_listen_on_a_port_in_use_says_so(store: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run(store, "listen", "--port", str(port))
    err = r.stderr.decode()
    assert r.returncode == 1
    assert f"127.0.0.1:{port}: the port is in use" in err and "--port 0" in err


def test_listen_secret_without_its_value_names_the_missing_half(store: Path) -> None:
    r = run(store, "listen", "--secret", "stripe")
    assert r.returncode == 2
    assert r.stderr.decode() == (
        "error: --secret stripe: the secret itself is missing"
        " (write it as --secret stripe=SECRET, or set HOOKCLI_SECRET_STRIPE)\n"
    )


def test_listen_secret_without_a_provider_never_echoes_the_secret(store: Path) -> None:
    r = run(store, "listen", "--secret", "whsec_topsecret")
    err = r.stderr.decode()
    assert r.returncode == 2 and "PROVIDER=SECRET" in err and "topsecret" not in err


def test_verify_from_the_future_points_at_the_clock(store: Path, receiver: Receiver) -> None:
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    args = ["--secret", secret]
    r = run(store, "fabricate", "slack", "event_callback", "--to", receiver.url, *args)
    assert r.returncode == 0, r.stderr.decode()
    r = run(store, "verify", "last", *args, "--now", "2000-01-01T00:00:00Z")
    out = r.stdout.decode()
    assert r.returncode == 1
    assert "s in the future; tolerance is 300 s" in out and "clock" in out
    assert "stale" not in out


def test_fabricate_prints_the_event_asked_for(store: Path, receiver: Receiver) -> None:
    r = run(store, "fabricate", "twilio", "message_status", "--to", receiver.url, "--secret", "t")
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().startswith(f"#1 twilio message_status -> {receiver.url}: 200 OK (")


def test_rm_json_prints_the_removed_ids(store: Path, receiver: Receiver) -> None:
    for _ in range(3):
        run(store, "fabricate", "github", "ping", "--to", receiver.url, "--secret", "s")
    r = run(store, "rm", "1-2", "--json")
    assert r.returncode == 0 and r.stdout.decode() == '{\n  "removed": [\n    1,\n    2\n  ]\n}\n'


def test_ls_names_an_empty_store_and_never_in_json(tmp_path: Path) -> None:
    store = tmp_path / "elsewhere"
    r = run(store, "ls")
    assert r.returncode == 0
    assert r.stdout.decode().splitlines()[0] == f"No captures yet in {store}."
    r = run(store, "ls", "--json")
    assert r.returncode == 0 and r.stdout.decode() == "[]\n"


def test_ls_at_a_terminal_ends_with_the_store_and_whether_there_is_more(
    store: Path, receiver: Receiver
) -> None:
    import shlex
    import sys

    from tests.conftest import cli_env
    from tests.docs.harness import ROOT, Terminal

    for _ in range(2):
        run(store, "fabricate", "github", "ping", "--to", receiver.url, "--secret", "s")
    command = f"{shlex.quote(sys.executable)} -m hookcli ls --limit 1"
    term = Terminal(command, cli_env(store, COLUMNS="80"), ROOT)
    try:
        assert term.wait(30) == 0
        lines = term.text.splitlines()
    finally:
        term.close()
    assert lines[-1] == f"1 newest capture of {store}; more with --limit 2"
    piped = run(store, "ls", "--limit", "1").stdout.decode()
    assert str(store) not in piped and len(piped.splitlines()) == 2
