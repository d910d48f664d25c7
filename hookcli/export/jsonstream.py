"""Read one large JSON document a piece at a time, with line and column for every problem.

`import` reads HAR files of 100,000 entries and more. Loading such a file whole makes
Python objects several times its size; here only a window of the text is held, and each
entry is decoded on its own by the standard library's C decoder (`raw_decode`), so memory
stays at a window plus one entry, and time is linear: consumed text is dropped when the
window is refilled, never re-scanned."""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

_CHUNK = 1 << 20  # characters read at a time
_WS = " \t\r\n"


def _cut_short(e: json.JSONDecodeError, size: int) -> bool:
    """Whether the decoder may have failed only because the window ends mid-value (a
    string left open, or a token cut within its last few characters), rather than at a
    real error, which is reported without reading the rest of the file."""
    return e.msg.startswith("Unterminated string") or e.pos >= size - 16


class _NumberTooLong(Exception):
    def __init__(self, text: str):
        self.text = text


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # past sys.get_int_max_str_digits()
        raise _NumberTooLong(text) from None


class JsonProblem(ValueError):
    def __init__(self, line: int, column: int, message: str):
        super().__init__(f"line {line}, column {column}: {message}")
        self.line, self.column, self.message = line, column, message


class Reader:
    """A cursor over a JSON text read from a binary file, decoded as UTF-8."""

    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._json = json.JSONDecoder(parse_int=_int)
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._base = 0  # offset in the whole text of the window's first character
        self._mark = 0  # offset up to which newlines are counted
        self._lines = 0  # newlines before the mark
        self._line_start = 0  # offset where the mark's line starts

    # -- positions ------------------------------------------------------------------------

    def where(self, pos: int | None = None) -> tuple[int, int]:
        """(line, column), both from 1, of window position POS (default: the cursor), which
        is never before a position asked for earlier: newlines are counted on from there,
        so asking at each entry of a long file costs the entry's length, not the file's."""
        at = self._base + (self.pos if pos is None else pos)
        segment = self.buf[self._mark - self._base : at - self._base]
        newlines = segment.count("\n")
        if newlines:
            self._lines += newlines
            self._line_start = self._mark + segment.rfind("\n") + 1
        self._mark = at
        return self._lines + 1, at - self._line_start + 1

    def problem(self, message: str, pos: int | None = None) -> JsonProblem:
        return JsonProblem(*self.where(pos), message)

    # -- the window -----------------------------------------------------------------------

    def _fill(self, at_least: int = _CHUNK) -> bool:
        """Read more text, dropping what is consumed; False at the end of the file."""
        if self.eof:
            return False
        if self.pos:
            self.where()  # count the newlines of the text about to be dropped
            self.buf = self.buf[self.pos :]
            self._base += self.pos
            self.pos = 0
        data = self._stream.read(max(at_least, _CHUNK))
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as e:
            self.buf += data[: max(e.start, 0)].decode("utf-8", errors="replace")
            raise self.problem(f"the file is not UTF-8 text ({e.reason})", len(self.buf)) from None
        if not data:
            self.eof = True
        self.buf += text
        return bool(data) or bool(text)

    def skip_ws(self) -> None:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf) or not self._fill():
                return

    def peek(self) -> str:
        """The next non-blank character ('' at the end of the file)."""
        self.skip_ws()
        return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def expect(self, chars: str, what: str) -> str:
        ch = self.peek()
        if not ch or ch not in chars:
            found = repr(ch) if ch else "the end of the file"
            raise self.problem(f"expected {what}, found {found}")
        self.pos += 1
        return ch

    def value(self) -> Any:
        """Decode the next JSON value. A value cut by the window's end is retried with more
        text; the window grows to the value's size at most."""
        self.skip_ws()
        while True:
            try:
                obj, end = self._json.raw_decode(self.buf, self.pos)
            except _NumberTooLong as e:
                at = self.buf.find(e.text, self.pos)
                limit = sys.get_int_max_str_digits()
                raise self.problem(
                    f"a number of {len(e.text)} digits, more than the {limit} Python reads "
                    "as an integer",
                    at if at >= 0 else None,
                ) from None
            except RecursionError:
                raise self.problem(
                    "nested too deeply (more levels of arrays and objects than Python's "
                    f"recursion limit of {sys.getrecursionlimit()})"
                ) from None
            except json.JSONDecodeError as e:
                at = self._base + e.pos  # a refill moves the window
                if _cut_short(e, len(self.buf)) and self._fill(len(self.buf)):
                    continue
                raise self.problem(e.msg, at - self._base) from None
            at = self._base + end  # a refill moves the window
            if end == len(self.buf) and self._fill():
                continue  # a number may go on in the text not read yet
            self.pos = at - self._base
            return obj

    def end(self) -> None:
        if self.peek():
            raise self.problem("unexpected text after the JSON document")

    # -- containers -----------------------------------------------------------------------

    def members(self) -> Iterator[str]:
        """Keys of the object whose '{' was just read; the caller reads each value."""
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            if self.peek() != '"':
                raise self.problem("expected a quoted key")
            key = self.value()
            self.expect(":", "':'")
            yield key
            if self.expect(",}", "',' or '}'") == "}":
                return

    def elements(self) -> Iterator[tuple[int, int]]:
        """(line, column) of each element of the array whose '[' was just read; the caller
        reads each element."""
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            self.skip_ws()
            yield self.where()
            if self.expect(",]", "',' or ']'") == "]":
                return
