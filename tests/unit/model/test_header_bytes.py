"""Header bytes survive the record: UTF-8 text when they are UTF-8, latin-1 otherwise."""

from __future__ import annotations

from hookcli.model import headers as hdrs
from hookcli.model.capture import Capture
from hookcli.model.wire import render_request

WIRE = [(b"X-V", b"h\xe9llo \xff"), (b"X-U", "\u2713".encode()), (b"X-A", b"plain")]


def test_non_utf8_headers_round_trip_through_the_record() -> None:
    headers, encoding = hdrs.decode_raw(WIRE)
    assert encoding == "latin-1" and headers[0] == ("X-V", "h\u00e9llo \u00ff")
    cap = Capture("POST", "/", "", headers, b"", headers_encoding=encoding)
    back = Capture.from_record(cap.to_record())
    assert back.headers_encoding == "latin-1" and back.header_bytes == WIRE
    raw = render_request("POST", "/", back.headers, b"", "1.1", back.headers_encoding)
    head = b"POST / HTTP/1.1\r\nX-V: h\xe9llo \xff\r\nX-U: \xe2\x9c\x93\r\nX-A: plain\r\n\r\n"
    assert raw == head


def test_utf8_headers_stay_readable_text() -> None:
    headers, encoding = hdrs.decode_raw(WIRE[1:])
    assert encoding == "utf-8" and headers[0] == ("X-U", "\u2713")
    assert hdrs.encode(headers, encoding) == WIRE[1:]


def test_records_from_before_the_field_read_as_utf8() -> None:
    record = Capture("GET", "/", "", [("X-U", "\u2713")], b"").to_record()
    del record["headers_encoding"]
    old = Capture.from_record(record)
    assert old.headers_encoding == "utf-8" and old.header_bytes == [(b"X-U", "\u2713".encode())]
    record["headers_encoding"] = "something-else"
    assert Capture.from_record(record).headers_encoding == "utf-8"


def test_text_latin1_cannot_carry_falls_back_to_utf8() -> None:
    # a value edited by hand after capture: not representable in latin-1
    assert hdrs.encode([("X", "\u2713")], "latin-1") == [(b"X", "\u2713".encode())]
