"""Every command example in README.md and docs/ runs as written and prints what the page
shows. How to write one (read this before adding a page):

Runnable examples
    Put them in a fenced block whose language is `console`. A line starting with `$ ` is a
    command, run by bash exactly as written (`\\` continues it on the next line, a
    heredoc takes the lines up to its terminator); the lines after it, up to the next `$ `,
    are what it prints, stdout and stderr together, as seen on an 80x24 terminal.
    Every hookcli command in a page must be in such a block (the test fails on one in any
    other block or indented block); commands that cannot run here (ngrok, pip install)
    go in `sh` blocks and must not start with `hookcli`.

Files the reader creates
    A block whose info string names a file after its language (```python app.py,
    ```toml pyproject.toml) is written to that path, relative to the page's directory,
    when the page reaches it: a guide's files are created in the order a reader meets
    them, and its commands after them run against exactly what the page shows.

Exit codes
    A command must exit 0 unless its line ends with a comment `# exit N`.

One page, one session
    The examples of a page run in order, in a fresh home directory (/home/me in the
    output), so the default store starts empty and ids count from 1: a page creates the
    captures it shows. `export NAME=VALUE` lines set the environment for the rest of the
    page. Output is compared with NO_COLOR=1, TZ=UTC, COLUMNS=80.

Your app and the listener
    `http://localhost:3000` is the user's app: a real loopback receiver that answers every
    request `200 {"received": true}` (the harness puts its real port in the command and
    shows 3000 again in the output). A `$ hookcli listen ...` command runs in the background
    for the rest of the page, as in a second terminal: it listens on a free port which
    later commands reach as `localhost:9000` (or the port its `--port` names), and the lines
    shown under it are compared with everything it printed when the page ends (or when
    the next `listen` on the same port starts) and it gets Ctrl-C. Before the Ctrl-C the
    harness waits, up to 5 s, until what it printed matches the page (a forward's line
    comes just after the answer that let the page go on): lines a listener prints only
    when stopped make every run of the page wait those 5 s.

ngrok
    `listen --tunnel` runs against tests/fake_ngrok.py, the stand-in agent of the tunnel
    tests (HOOKCLI_NGROK_PATH points at it): it needs an authtoken as the real one does,
    and its public URL is served on loopback.

Variable output
    Clock times, dates, latencies (`3 ms`), Unix timestamps, UUIDs, hex digests, base64
    signatures and random ids are replaced on both sides before comparing, and runs of
    spaces count as one, so a page shows real output from a real run. Anything else that
    varies is written `...`: inside a line it stands for any text, alone on a line for
    any number of lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.docs.harness import ROOT, Example, File, Session, parse, steps, stray_commands
from tests.receiver import Receiver

PAGES = sorted(
    str(p.relative_to(ROOT)) for p in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
)
#: pages whose examples take 4 s or more on a quiet machine: run first (tests/conftest.py)
LONG_PAGES = {
    f"docs/{name}.md"
    for name in (
        "replay",
        "listen",
        "rm",
        "forwarding",
        "providers/stripe",
        "ls",
        "import",
        "store-cmd",
        "export",
        "fabricate",
        "verify",
        "ci",
    )
}


def run_page(
    page: str, tmp: Path, examples: Sequence[Example | File] | None = None, settle: float = 5.0
) -> Session:
    receiver = Receiver().start()
    try:
        session = Session(page, tmp, int(receiver.url.rsplit(":", 1)[1]), settle=settle)
        try:
            for ex in examples if examples is not None else steps((ROOT / page).read_text(), page):
                session.run(ex)
        finally:
            session.finish()
    finally:
        receiver.stop()
    return session


@pytest.mark.parametrize(
    "page", [pytest.param(p, marks=pytest.mark.long) if p in LONG_PAGES else p for p in PAGES]
)
def test_page_examples_run_as_written(page: str, tmp_path: Path) -> None:
    text = (ROOT / page).read_text()
    assert not stray_commands(text, page), "put these in ```console blocks"
    if not parse(text, page):
        return  # nothing to run: the stray-command check above is the whole test
    session = run_page(page, tmp_path)
    assert not session.failures, "\n\n".join(session.failures)


def test_the_docs_have_examples_for_every_command() -> None:
    text = "\n".join((ROOT / p).read_text() for p in PAGES)
    commands = {ex.command.split()[1] for ex in parse_all() if ex.command.startswith("hookcli ")}
    for name in (
        "listen",
        "ls",
        "show",
        "rm",
        "clear",
        "replay",
        "verify",
        "fabricate",
        "providers",
        "export",
        "import",
    ):
        assert name in commands, f"no runnable example of hookcli {name}"
    assert "```console" in text


def parse_all() -> list[Example]:
    return [ex for p in PAGES for ex in parse((ROOT / p).read_text(), p)]


def test_a_drifted_example_fails(tmp_path: Path) -> None:
    """The harness itself: wrong output, a wrong exit code and a hung listener are caught."""
    page = "\n".join(
        [
            "```console",
            "$ hookcli --version",
            "hookcli 0.0.0-not-this",
            "$ hookcli show 1",
            "$ hookcli listen --port 9000",
            "Listening on http://127.0.0.1:9000  (...)",
            "01:02:03  #1      GET      /seen  0 B",
            "```",
        ]
    )
    examples = parse(page, "drift.md")
    # the listener never prints the line the page shows: it gets 0.5 s, not 5, to print it
    session = run_page("drift.md", tmp_path, examples, settle=0.5)
    report = "\n".join(session.failures)
    assert "drift.md:2: $ hookcli --version" in report and "0.0.0-not-this" in report
    assert "drift.md:4: $ hookcli show 1\n  exit code 1, the page says 0" in report
    assert "drift.md:5: $ hookcli listen" in report  # no request came, so no `#1` line
    assert len(session.failures) == 3


def test_stray_commands_are_found() -> None:
    page = "text\n\n    hookcli ls\n\n```sh\nhookcli show 1\n```\n\n```console\n$ hookcli ls\n```\n"
    assert stray_commands(page, "p.md") == ["p.md:3: hookcli ls", "p.md:6: hookcli show 1"]


def test_a_walkthrough_runs_against_the_files_its_page_shows(tmp_path: Path) -> None:
    """A guide's files are created where the page shows them, in order, and its later
    commands see exactly their text; a file outside the page's directory is refused."""
    page = "\n".join(
        [
            "```python pkg/hello.py",
            "print('hello from the page')",
            "```",
            "```console",
            "$ python3 pkg/hello.py",
            "hello from the page",
            "$ cat missing.txt  # exit 1",
            "cat: missing.txt: No such file or directory",
            "```",
            "```text missing.txt",
            "now here",
            "```",
            "```console",
            "$ cat missing.txt",
            "now here",
            "```",
            "```text ../escape.txt",
            "no",
            "```",
        ]
    )
    every = steps(page, "guide.md")
    assert [type(s).__name__ for s in every] == [
        "File",
        "Example",
        "Example",
        "File",
        "Example",
        "File",
    ]
    session = run_page("guide.md", tmp_path, every)
    assert session.failures == ["guide.md:18: file ../escape.txt\n  outside the page's directory"]


def test_the_ci_guide_shows_the_example_projects_app() -> None:
    """docs/ci.md's walkthrough and its example project are the same app."""
    shown = {
        s.path: s.content
        for s in steps((ROOT / "docs/ci.md").read_text(), "docs/ci.md")
        if isinstance(s, File)
    }
    assert shown["app.py"] == (ROOT / "docs/examples/ci/app.py").read_text()
    assert 'pythonpath = ["."]' in shown["pyproject.toml"]
