"""`import`: HAR files and fixture files (capture records) into the store, all or nothing.

Every file is read once, streaming, and each capture goes to a spool (an anonymous
temporary file) as one JSON line: a problem is reported with the file's name, the line
and column, and which entry and field, and nothing is stored. Only when every file has
been read are the spooled captures stored, in batches through `Store.add` (one locked
append per batch). Memory holds a window of the file and one batch of captures, so a HAR
file of 100,000 entries imports in linear time and in memory far smaller than the file.

Imported captures get new ids, `source: "imported"` and the time of the import as
`received_at` (the store lists by arrival); the provider and event type are detected from
the headers as for a capture that `listen` receives."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from hookcli.errors import HookcliError
from hookcli.export import har
from hookcli.export.jsonstream import JsonProblem, Reader
from hookcli.model import body as bodycodec
from hookcli.model import headers as hdrs
from hookcli.model.capture import Capture, now_iso
from hookcli.store import Store

BATCH = 1000
SUFFIXES = (".har", ".json")


class ImportProblem(HookcliError):
    def __init__(self, path: Path, message: str):
        super().__init__(f"{path}: {message}", "nothing was imported")
        self.path = path


@dataclass
class Imported:
    ids: list[int]
    files: int


def expand(paths: Sequence[Path]) -> list[Path]:
    """The files to read: each FILE as named, and the .har and .json files under each DIR
    (recursively, in name order)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in SUFFIXES and f.is_file())
            if not found:
                raise HookcliError(f"{p}: no .har or .json files in this directory")
            files += found
        elif p.exists():
            files.append(p)
        else:
            raise HookcliError(f"{p}: no such file or directory")
    return files


def read(path: Path) -> Iterator[Capture]:
    """The captures in one file: a HAR file's entries, a fixture file's record, or each
    record of a JSON array of records. ImportProblem names what is wrong and where."""
    try:
        with path.open("rb") as f:
            yield from _read(Reader(f))
    except JsonProblem as e:
        raise ImportProblem(path, str(e)) from None
    except OSError as e:
        raise ImportProblem(path, f"cannot read it: {e.strerror or e}") from None


def _read(r: Reader) -> Iterator[Capture]:
    start = r.where()
    first = r.expect("{[", "a HAR document or a capture record (an object)")
    if first == "[":
        for index, at in enumerate(r.elements()):
            yield _record(r.value(), at, f"record {index + 1}")
        r.end()
        return
    record: dict[str, Any] = {}
    har_seen = False
    for key in r.members():
        if key == "log" and r.peek() == "{":
            r.expect("{", "the log object")
            har_seen = True
            yield from _log(r)
        else:
            record[key] = r.value()
    r.end()
    if not har_seen:
        yield _record(record, start, "the record")


def _log(r: Reader) -> Iterator[Capture]:
    at = r.where()
    entries = False
    for key in r.members():
        if key != "entries":
            r.value()
            continue
        entries = True
        r.expect("[", "the entries array")
        for index, where in enumerate(r.elements()):
            e = r.value()
            try:
                cap = har.capture_of(e)
            except har.BadEntry as problem:
                raise JsonProblem(*where, f"entry {index + 1}: {problem}") from None
            yield _checked(cap, where, f"entry {index + 1}")
    if not entries:
        raise JsonProblem(*at, "log.entries is missing: this is not a HAR file")


def _record(doc: Any, at: tuple[int, int], what: str) -> Capture:
    """A capture record (a fixture, `show --json`) as a new capture to store."""
    problem = _record_problem(doc)
    if problem:
        raise JsonProblem(*at, f"{what}: {problem}")
    cap = Capture(
        method=doc["method"],
        path=doc["path"],
        query=doc.get("query") or "",
        headers=[(k, v) for k, v in doc["headers"]],
        headers_encoding=hdrs.known_encoding(doc.get("headers_encoding")),
        body=bodycodec.decode(
            doc.get("body") or "", doc.get("body_encoding") or "utf-8", strict=True
        ),
        received_at="",
        source="imported",
        http_version=str(doc.get("http_version") or "1.1"),
        remote_addr=doc.get("remote_addr") if isinstance(doc.get("remote_addr"), str) else None,
    )
    response = doc.get("response")
    status = response.get("status") if isinstance(response, dict) else None
    if isinstance(status, int) and not isinstance(status, bool):
        cap.response = {"status": status}
    cap = _checked(cap, at, what)
    if cap.provider is None and isinstance(doc.get("provider"), str):
        cap.provider, cap.event_type = doc["provider"], doc.get("event_type")
    return cap


def _record_problem(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return "not an object"
    for key in ("method", "path"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            return f"{key} is missing or not a string"
    if "headers" not in doc:
        hint = " (`ls --json` lists summaries; use `hookcli export` for records)"
        return "headers are missing" + (hint if "body_size" in doc else "")
    headers = doc["headers"]
    if not isinstance(headers, list):
        return "headers should be a list of [name, value] pairs"
    for i, h in enumerate(headers):
        if not (isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h)):
            return f"headers[{i}] should be [name, value]"
    for key in ("query", "body"):
        if doc.get(key) is not None and not isinstance(doc[key], str):
            return f"{key} should be a string"
    names = doc.get("headers_encoding")
    if (
        names is not None
        and hdrs.known_encoding(names) == hdrs.UTF8
        and (not isinstance(names, str) or names.lower().replace("_", "-") not in ("utf-8", "utf8"))
    ):
        return f"headers_encoding {names!r} is not known (utf-8 or latin-1)"
    encoding = doc.get("body_encoding") or "utf-8"
    try:
        bodycodec.decode(doc.get("body") or "", encoding, strict=True)
    except ValueError as e:  # binascii.Error is a ValueError
        return f"body does not decode as {encoding} ({e})"
    except UnicodeEncodeError:
        return "body holds text that is not valid Unicode"
    return None


def _checked(cap: Capture, at: tuple[int, int], what: str) -> Capture:
    """CAP with provider and event type detected; a problem when it holds text the store
    cannot write (a lone surrogate from a \\ud800 escape in the JSON)."""
    texts = [cap.method, cap.path, cap.query, *(k + v for k, v in cap.headers)]
    try:
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:
        raise JsonProblem(*at, f"{what}: holds text that is not valid Unicode") from None
    from hookcli.signing.classify import classify

    classify(cap)
    return cap


def import_files(store: Store, files: Sequence[Path], batch: int = BATCH) -> Imported:
    """Read every file into a spool, then store the spooled captures in batches: a file
    with a problem raises ImportProblem before anything is stored, and each file is
    parsed once."""
    with tempfile.TemporaryFile(prefix="hookcli-import-") as spool:
        lines: list[bytes] = []
        for path in files:
            for cap in read(path):
                lines.append(orjson.dumps(cap.to_record()))
                if len(lines) >= batch:
                    spool.write(b"\n".join(lines) + b"\n")
                    lines = []
        if lines:
            spool.write(b"\n".join(lines) + b"\n")
        spool.seek(0)
        ids: list[int] = []
        pending: list[Capture] = []
        for line in spool:
            pending.append(Capture.from_record(orjson.loads(line)))
            if len(pending) >= batch:
                ids += _add(store, pending)
                pending = []
        ids += _add(store, pending)
    return Imported(ids, len(files))


def _add(store: Store, captures: list[Capture]) -> list[int]:
    when = now_iso()  # one time for a batch: they arrive in the store together
    for cap in captures:
        cap.received_at = when
    return store.add(captures)
