"""Human output fits 80 and 60 columns without cutting names: `providers` becomes a list
where its table cannot fit, `show` wraps values under themselves, `ls` keeps one line per
capture and dates the older ones."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from hookcli.model.capture import Capture
from hookcli.store import Store
from tests.conftest import run
from tests.receiver import Receiver

WIDTHS = [60, 80]


def output(store: Path, width: int, *args: str) -> list[str]:
    r = run(store, *args, COLUMNS=str(width), TZ="UTC")
    assert r.returncode == 0, r.stderr.decode()
    lines = r.stdout.decode().splitlines()
    too_wide = [line for line in lines if len(line) > width]
    assert not too_wide, f"wider than {width}: {too_wide}"
    return lines


@pytest.mark.parametrize("width", [*WIDTHS, 120])
def test_providers_fit_and_name_every_header_and_event_whole(store: Path, width: int) -> None:
    text = "\n".join(output(store, width, "providers"))
    words = set(text.replace(",", " ").split())
    r = run(store, "providers", "--json")
    for p in json.loads(r.stdout):
        events = p["events"]
        if len(events) > 6:  # the first five, and how many more `fabricate --list` shows
            events = events[:5]
            assert f"+{len(p['events']) - 5}" in words, (p["name"], width)
        for name in [p["name"], *p["headers"], *events]:
            assert name in words, f"{name} cut or missing at {width} columns"
    assert ("HEADERS" in text) == (width >= 92)  # the table only where it fits


@pytest.fixture(scope="module")
def github_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("layout") / "store"
    receiver = Receiver().start()
    try:
        long_path = "/webhooks/github/" + "deep/" * 12 + "end"
        r = run(
            store, "fabricate", "github", "pull_request",
            "--to", receiver.url + long_path, "--secret", "s3cret",
        )  # fmt: skip
        assert r.returncode == 0, r.stderr.decode()
    finally:
        receiver.stop()
    old = datetime.now().year - 2
    Store(store).add(
        [
            Capture(
                method="DELETE",
                path="/old/" + "x" * 90,
                query="page=1",
                headers=[("Host", "localhost:9000")],
                body=bytes(range(256)),
                received_at=f"{old}-03-01T10:00:00+00:00",
            )
        ]
    )
    return store


@pytest.mark.parametrize("width", WIDTHS)
def test_show_wraps_values_under_themselves_and_never_cuts_header_names(
    github_store: Path, width: int
) -> None:
    lines = output(github_store, width, "show", "1")
    record = json.loads(run(github_store, "show", "1", "--json").stdout)
    starts = [line.split(":")[0].split()[0] for line in lines if line and line[0] != " "]
    for name, _ in record["headers"]:
        assert name in starts, f"header {name} not shown whole at {width} columns"
    body = lines[lines.index(next(x for x in lines if x.startswith("Body"))) + 1 :]
    body = body[: body.index("")]
    assert body[0] == "{" and body[-1] == "}"
    assert all(line.startswith(" ") for line in body[1:-1]), "a body line wrapped to column 0"
    assert any(line.startswith("          http") or "  http" in line for line in lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_show_hexdump_fits(github_store: Path, width: int) -> None:
    lines = output(github_store, width, "show", "2")
    assert any(line.startswith("00000000  00 01 02") for line in lines)


@pytest.mark.parametrize("width", [*WIDTHS, 120])
def test_ls_is_one_line_per_capture_with_dates_for_older_ones(
    github_store: Path, width: int
) -> None:
    lines = output(github_store, width, "ls")
    assert len(lines) == 3  # a title and two rows; no footer when piped
    old_row, new_row = lines[1], lines[2]
    assert f"Mar  1  {datetime.now().year - 2}" in old_row
    assert "…" in old_row  # the long path is cut, not wrapped
    assert new_row.split()[0] == "1" and ":" in new_row.split()[1]
    mark = "fabricated" if width >= 120 else "fab"
    assert new_row.rstrip().endswith(mark) and not old_row.rstrip().endswith(mark)
