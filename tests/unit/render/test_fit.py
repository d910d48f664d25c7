"""Wrapping that fits a width and never returns to column 0."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from hookcli.render.fit import breaks, cell, hanging

CONSOLE = Console(width=80)


def lines(text: str, width: int, first: int = 0, indent: int | None = None) -> list[str]:
    return [t.plain for t in hanging(Text(text), CONSOLE, width, first, indent)]


def test_words_move_whole_and_continuations_are_indented() -> None:
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    out = lines(words, 20, 2)
    assert out[0] == "  alpha beta gamma"
    assert all(x.startswith("    ") and len(x) <= 20 for x in out[1:])
    assert " ".join(x.strip() for x in out) == words


def test_a_word_longer_than_a_line_is_folded_where_it_starts() -> None:
    digest = "a" * 50
    out = lines(f"sig: {digest}", 20, 0, 4)
    assert out[0] == "sig: " + "a" * 15
    assert "".join(x.strip() for x in out) == f"sig: {digest}"
    assert all(len(x) <= 20 for x in out)


def test_breaks_count_leading_space() -> None:
    assert breaks("    abc def", 8, 8) == [8]


def test_cell_pads_or_cuts_to_an_exact_width() -> None:
    assert cell("abc", 5).plain == "abc  "
    assert cell("abc", 5, right=True).plain == "  abc"
    assert cell("abcdefgh", 5).plain == "abcd…"
