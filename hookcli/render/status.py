"""An HTTP status as a line shows it: "200 OK", "418 I'm a Teapot", "no answer"."""

from __future__ import annotations

from http import HTTPStatus


def status_text(status: int | None) -> str:
    if status is None:
        return "no answer"
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)
