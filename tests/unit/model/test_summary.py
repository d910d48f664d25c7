"""One summary builder: the store's index and `listen --json`'s captured line both come
from store.format.summary_of."""

from hookcli.model.capture import Capture
from hookcli.server.app import Event, describe
from hookcli.store.format import SUMMARY_FIELDS, SUMMARY_TEXT_MAX


def _capture(path: str = "/hooks/a", response: dict[str, object] | None = None) -> Capture:
    return Capture(
        "POST",
        path,
        "a=1",
        [("Content-Type", "application/json")],
        b"{}",
        id=7,
        received_at="2026-11-26T01:41:22.292354+00:00",
        provider="github",
        event_type="ping",
        response=dict(response or {}),
    )


def test_the_captured_line_is_the_summary_without_its_source() -> None:
    c = _capture()
    line = describe(Event("captured", capture=c))
    # the keys and their order, as docs/listen.md shows the line
    assert list(line) == ["event", *(k for k in SUMMARY_FIELDS if k != "source")]
    assert line == {"event": "captured"} | {k: v for k, v in c.summary().items() if k != "source"}
    assert line["body_size"] == 2 and line["query"] == "a=1" and line["signature"] is None


def test_the_captured_line_keeps_long_texts_whole_where_the_index_cuts_them() -> None:
    c = _capture(path="/" + "p" * (SUMMARY_TEXT_MAX * 2))
    assert describe(Event("captured", capture=c))["path"] == c.path
    cut = c.summary()["path"]
    assert len(cut) == SUMMARY_TEXT_MAX and cut.endswith("…")


def test_the_captured_line_carries_a_configured_answer() -> None:
    answered = _capture(response={"status": 201, "body": "ok"})
    assert describe(Event("captured", capture=answered))["response"] == answered.response
    assert "response" not in describe(Event("captured", capture=_capture(response={"status": 200})))
