"""The TUI's view model without Textual: the filter bar's language (the `ls` filters),
order, arrivals, deletions, filter results that race with arrivals, and marks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hookcli.store.query import Filters
from hookcli.tui.view import CaptureView, FilterError, parse_filter, summary_predicate


def summary(cid: int, method: str = "POST", path: str = "/h", **kw: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "received_at": kw.pop("received_at", datetime.now(UTC).isoformat()),
        "method": method,
        "path": path,
        "query": "",
        "body_size": 2,
        "provider": kw.pop("provider", None),
        "event_type": kw.pop("event_type", None),
        "signature": None,
        "source": "listen",
    }


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [int(s["id"]) for s in rows]


def test_parse_filter_keys_and_free_text() -> None:
    f = parse_filter('method:post path:/hooks/* provider:svix event:inv* since:10m "two words" x')
    assert f == Filters(
        method="post",
        path="/hooks/*",
        provider="svix",
        event="inv*",
        since_seconds=600,
        search="two words x",
    )
    assert parse_filter("") == Filters()
    assert parse_filter("http://x/y").search == "http://x/y", "an unknown key is text"
    assert parse_filter('"unclosed quote').search == '"unclosed quote'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("since:yesterday", "since: not a duration"),
        ("method:", "method: needs a value"),
        ("provider:nosuch", "provider:"),
    ],
)
def test_parse_filter_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filter(text)


def test_summary_predicate_is_the_ls_filter() -> None:
    old = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    rows = [
        summary(1, "GET", "/a"),
        summary(2, "POST", "/hooks/x", provider="stripe", event_type="invoice.paid"),
        summary(3, "POST", "/hooks/y", received_at=old),
    ]
    assert summary_predicate(Filters()) is None

    def passing(text: str) -> list[int]:
        predicate = summary_predicate(parse_filter(text))
        assert predicate is not None
        return [int(s["id"]) for s in rows if predicate(s)]

    assert passing("method:get") == [1]
    assert passing("path:/hooks/*") == [2, 3]
    assert passing("provider:stripe event:invoice.*") == [2]
    assert passing("since:1h") == [1, 2]


def test_arrivals_go_on_top_and_deletions_everywhere() -> None:
    v = CaptureView()
    v.load([summary(3), summary(2), summary(1)])
    assert ids(v.shown) == [3, 2, 1] and v.top_id == 3
    assert v.add_new([summary(4), summary(5)], None) == 2
    assert ids(v.rows) == [5, 4, 3, 2, 1] and ids(v.shown) == [5, 4, 3, 2, 1]
    assert v.add_new([summary(5)], None) == 0, "a capture already listed is not added twice"
    v.toggle_mark(4)
    assert v.remove([4, 99]) == [1]
    assert ids(v.shown) == [5, 3, 2, 1] and v.marks == []


def test_filter_results_keep_arrivals_that_pass() -> None:
    v = CaptureView()
    v.load([summary(2, "GET"), summary(1, "POST")])
    v.set_filter(parse_filter("method:POST"))
    upto = v.top_id
    # while the filter runs, captures arrive; they are held back until its result is in
    v.add_new([summary(3, "POST"), summary(4, "GET")], lambda s: False)
    assert ids(v.rows) == [4, 3, 2, 1]
    predicate = summary_predicate(v.filters)
    v.set_shown([summary(1, "POST")], upto, predicate)
    assert ids(v.shown) == [3, 1]
    assert v.add_new([summary(5, "POST"), summary(6, "GET")], predicate) == 1
    assert ids(v.shown) == [5, 3, 1]


def test_filter_results_skip_captures_deleted_meanwhile() -> None:
    v = CaptureView()
    v.load([summary(2), summary(1)])
    v.set_filter(parse_filter("method:POST"))
    v.remove([1])
    v.set_shown([summary(2), summary(1)], 2, None)
    assert ids(v.shown) == [2]


def test_clearing_the_filter_shows_everything_again() -> None:
    v = CaptureView()
    v.load([summary(2, "GET"), summary(1)])
    v.set_filter(parse_filter("method:GET"))
    v.set_shown([summary(2, "GET")], 2, None)
    v.set_filter(Filters())
    v.set_shown([], 0, None)
    assert ids(v.shown) == [2, 1] and not v.filtered


def test_marks_keep_the_last_two_and_pair_older_first() -> None:
    v = CaptureView()
    v.load([summary(i) for i in (9, 7, 5)])
    assert v.marked_pair() is None
    v.toggle_mark(9)
    v.toggle_mark(5)
    assert v.marked_pair() == (5, 9)
    v.toggle_mark(7)
    assert v.marks == [5, 7]
    v.toggle_mark(7)
    assert v.marks == [5] and v.marked_pair() is None
    v.load([summary(9), summary(7)])
    assert v.marks == [], "a mark on a capture that is gone goes too"
