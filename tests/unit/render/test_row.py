"""The shared row layout (render/row.py): what gives way first, and that nothing wraps."""

from __future__ import annotations

import pytest

from hookcli.render.colors import Paint
from hookcli.render.row import CAPTURE_ROW, Field, column_widths, cut, fit_line, fold, share

PLAIN = Paint(False)


def test_share_takes_width_rank_by_rank_down_to_each_minimum() -> None:
    # path (rank 1) gives all it can before the event (rank 2) gives anything
    assert share([10, 20, 30], [0, 1, 2], [0, 4, 12], 50) == [10, 10, 30]
    assert share([10, 20, 30], [0, 1, 2], [0, 4, 12], 30) == [10, 4, 16]
    assert share([10, 20, 30], [0, 1, 2], [0, 4, 12], 10) == [10, 4, 12]  # floor reached


def test_cut_drops_padding_first_then_ends_in_an_ellipsis() -> None:
    assert cut("POST   ", 4) == "POST"
    assert cut("POST   ", 5) == "POST "
    assert cut("/webhooks/stripe", 8) == "/webhoo…"
    assert cut("größe über alles", 6) == "größe…"


def test_a_line_that_fits_is_whole_and_none_is_whole_without_a_terminal() -> None:
    fields = [Field("12:00:00"), Field("/" + "p" * 100, rank=1, min=6)]
    assert fit_line(fields, None, PLAIN) == "12:00:00  /" + "p" * 100
    assert fit_line(fields, 200, PLAIN) == "12:00:00  /" + "p" * 100


def test_short_forms_and_ranks_keep_the_line_within_the_width() -> None:
    fields = [
        Field("12:00:00"),
        Field("#1    ", rank=1, min=2),
        Field("/hooks/stripe/production", rank=2, min=6),
        Field("stripe checkout.session.completed", rank=3, min=12),
        Field("signature valid", rank=1, min=5, short="valid"),
    ]
    line = fit_line(fields, 64, PLAIN)
    assert len(line) <= 64
    assert "stripe checkout.session.completed" in line and line.endswith("valid")
    assert "/hooks/" in line and "…" in line
    tiny = fit_line(fields, 30, PLAIN)
    assert len(tiny) <= 30 and tiny.endswith("…")


def test_prose_folds_between_words_with_a_hanging_indent() -> None:
    text = "error: connection refused to http://localhost:1 (every attempt is recorded)"
    folded = fold(text, 40, 7)
    lines = folded.split("\n")
    assert all(len(line) <= 40 for line in lines)
    assert all(line.startswith("       ") for line in lines[1:])
    assert " ".join(line.strip() for line in lines) == text
    assert fold(text, None, 7) == text


def test_capture_columns_give_provider_event_priority_over_the_path() -> None:
    contents = [2, 8, 4, 30, 7, 33, 5, 3]  # id time method path size event sig source
    widths = column_widths(CAPTURE_ROW, contents, 80, 2)
    by_name = dict(zip((c.name for c in CAPTURE_ROW), widths, strict=True))
    assert sum(widths) + 2 * (len(widths) - 1) <= 80
    assert by_name["path"] < 30 and by_name["event"] >= 29
    assert by_name["signature"] >= 5 and by_name["source"] >= 3


def test_a_forward_given_up_at_ctrl_c_is_said_once_without_a_latency() -> None:
    from hookcli.model.capture import Attempt
    from hookcli.render.live import LiveLines

    why = "no answer: listen stopped (0.5 s grace)"
    attempt = Attempt("2026-01-01T00:00:00+00:00", "http://localhost:3000/h", None, 0.0, why)
    line = LiveLines(False).forwarded(7, attempt)
    assert line.endswith("→ http://localhost:3000/h  " + why)
    assert line.count("no answer") == 1 and " ms" not in line


def test_a_hint_with_parentheses_of_its_own_is_not_nested(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from hookcli.cli.common import fail

    assert isinstance(fail("bad", "e.g. x (y)"), Exception)
    assert capsys.readouterr().err == "error: bad; e.g. x (y)\n"
    fail("bad", "see --help")
    assert capsys.readouterr().err == "error: bad (see --help)\n"
