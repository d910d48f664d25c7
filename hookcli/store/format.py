"""The store's on-disk format, in one place: the log line and the index line, their types,
their encoding and decoding, the byte prefixes that seeking and compaction rely on, and
the one path by which lines of older versions are read.

captures.jsonl, the log (the truth), one JSON object a line (`LogOp`):
  {"op":"put","id":N,"doc":{record}}                 a new capture (record: Capture.to_record)
  {"op":"attempt","id":N,"kind":"forwards"|"replays","attempt":{record}}
  {"op":"del","ids":[N,...],"freed":B}               captures removed; B: the log bytes
                                                     their lines hold
  {"op":"meta","next_id":N}                          first line after a compaction or clear

index.jsonl, derived from the log, one line per log line (`IndexEntry`): a put's summary
("s") and its log line's place ("off", "len"), an attempt itself ("a", "len"), a del's
"ids" and "freed"; then the running fields, always last and in this order: "end" (the log
offset the line covers up to), "n" (the next id), "c" (live captures), "g" (log bytes a
compaction would drop), "k" (del and attempt lines so far).

Versions (mitmproxy's io/compat.py is the model: one place knows every older shape):
  0  the first store (951794b): index lines with "end" and "n" only (no "c", "g", "k"),
     a del without "freed", an attempt index line without "len".
  1  today's (RECORD_VERSION). Versions 0 and 1 are told apart by the shape of a line
     (`index_version`); neither writes its number. A later version that changes a line's
     shape writes "v" in its meta line: `check_version` refuses such a log, rather than
     misread it, and a reader of that version finds here what it must upgrade from.
`upgrade` is the path every index line read takes; the running totals an old index lacks
are folded from its lines (log.py's catch-up). A log written by a newer version than
RECORD_VERSION is refused rather than misread.

Index lines are written by orjson, with no spaces and their keys in the order given here,
so a line's kind and id are its first bytes (`PUT`, `ATTEMPT`, `DEL`) and its running
fields start at the last `STAMPS`: seek.py finds lines by those bytes without parsing the
lines in between, and compaction moves lines by rewriting those bytes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, NamedTuple, NotRequired, Required, TypedDict

import orjson

#: the version of the format this code writes (see the module's docstring)
RECORD_VERSION = 1

Op = Literal["put", "attempt", "del", "meta"]


# -- the records (model.capture's Capture/Attempt.to_record write them, from_record reads
# them; `show --json` prints a capture's): a field that older records lack is NotRequired,
# and its reader supplies the default -----------------------------------------------------


class AttemptRecord(TypedDict):
    """One forward or replay (model.capture.Attempt)."""

    at: str
    target: str
    status: NotRequired[int | None]
    latency_ms: NotRequired[float]
    error: NotRequired[str | None]
    response_excerpt: NotRequired[str]
    base: NotRequired[str | None]
    response_headers: NotRequired[list[list[str]]]
    response_size: NotRequired[int | None]
    retry: NotRequired[int]
    compare: NotRequired[str]  # only on the attempts of `replay --compare`


class CaptureRecord(TypedDict):
    """A capture (model.capture.Capture); SPEC's "The capture record"."""

    id: int
    received_at: str
    method: str
    path: str
    source: NotRequired[str]
    query: NotRequired[str]
    http_version: NotRequired[str]
    remote_addr: NotRequired[str | None]
    headers: NotRequired[list[list[str]]]
    headers_encoding: NotRequired[str]
    body: NotRequired[str]
    body_encoding: NotRequired[str]
    body_size: NotRequired[int]
    provider: NotRequired[str | None]
    event_type: NotRequired[str | None]
    signature: NotRequired[str | None]
    response: NotRequired[dict[str, Any]]
    forwards: NotRequired[list[AttemptRecord]]
    replays: NotRequired[list[AttemptRecord]]
    origin: NotRequired[str]  # only on imported captures that name their first target


Record = CaptureRecord  # a put's "doc"


#: a summary's keys, in their order
SUMMARY_FIELDS = (
    "id",
    "received_at",
    "method",
    "path",
    "query",
    "body_size",
    "provider",
    "event_type",
    "signature",
    "source",
)
#: characters of a method, path, query or event type a summary keeps (the record keeps
#: them whole): every reader of the index reads every summary, so one hostile 25 MiB value
#: must not slow them all
SUMMARY_TEXT_MAX = 2048
_BOUNDED = ("method", "path", "query", "event_type")


def summary_of(record: CaptureRecord, *, source: bool = True, cut: bool = True) -> dict[str, Any]:
    """The summary of a capture's record, its keys SUMMARY_FIELDS: the one place a summary
    is built (the index, Capture.summary and `listen --json`'s captured line all go
    through it). A field an older record lacks gets its default; texts longer than
    SUMMARY_TEXT_MAX are cut with `…`. `listen --json` asks for it without SOURCE (its
    captures are all from listen) and uncut (CUT: the line is printed once, not indexed).
    Written out, not looped: ingest runs it per capture."""
    summary: dict[str, Any] = {
        "id": record["id"],
        "received_at": record["received_at"],
        "method": record["method"],
        "path": record["path"],
        "query": record.get("query", ""),
        "body_size": record.get("body_size", 0),
        "provider": record.get("provider"),
        "event_type": record.get("event_type"),
        "signature": record.get("signature"),
    }
    if source:
        summary["source"] = record.get("source", "listen")
    if cut and (
        len(summary["path"]) > SUMMARY_TEXT_MAX
        or len(summary["query"] or "") > SUMMARY_TEXT_MAX
        or len(summary["event_type"] or "") > SUMMARY_TEXT_MAX
        or len(summary["method"]) > SUMMARY_TEXT_MAX
    ):
        for k in _BOUNDED:
            value = summary[k]
            if isinstance(value, str) and len(value) > SUMMARY_TEXT_MAX:
                summary[k] = value[: SUMMARY_TEXT_MAX - 1] + "…"
    return summary


class LogOp(TypedDict, total=False):
    """One log line; which keys it has depends on "op"."""

    op: Required[Op]
    id: int  # put, attempt
    doc: CaptureRecord  # put
    kind: str  # attempt: "forwards" | "replays"
    attempt: AttemptRecord  # attempt
    ids: list[int]  # del
    freed: int  # del (absent in version 0)
    next_id: int  # meta
    v: int  # meta: the writer's RECORD_VERSION, from version 2 on (none writes it yet)


class IndexEntry(TypedDict, total=False):
    """One index line; which keys it has depends on "op" (see the module's docstring)."""

    op: Required[Op]
    id: int  # put, attempt
    off: int  # put: its log line's offset
    len: int  # put, attempt: its log line's length (an attempt's: absent in version 0)
    s: dict[str, Any]  # put: the summary (summary_of)
    kind: str  # attempt
    a: AttemptRecord  # attempt
    ids: list[int]  # del
    freed: int  # del
    # the running fields ("end" and "n" in every version, the totals from version 1)
    end: int
    n: int
    c: int
    g: int
    k: int


# -- the bytes seek.py and compaction rely on ----------------------------------------------

PUT = b'{"op":"put","id":'
ATTEMPT = b'{"op":"attempt","id":'
DEL = b'{"op":"del",'
META = b'{"op":"meta",'
#: the running fields end every index line, in this order, after all the others (inside
#: strings a quote is escaped, so this cannot appear earlier)
STAMPS = b',"end":'
_KINDS = {kind: orjson.dumps(kind) for kind in ("forwards", "replays")}


def attempt_prefix(cid: int) -> bytes:
    """The first bytes of capture CID's attempt lines (index and log alike)."""
    return b"%s%d," % (ATTEMPT, cid)


_LOG_HEADS = {op: b'{"op":"%s",' % op.encode() for op in ("put", "attempt", "del", "meta")}


def log_head(op: str, cid: int | None) -> bytes:
    """The first bytes a log line of OP (and id CID) has: what compaction checks each line
    it copies against."""
    head = _LOG_HEADS.get(op) or b'{"op":"%s",' % op.encode()
    return head if cid is None else b'%s"id":%d,' % (head, cid)


def stamps_at(line: bytes) -> int:
    """Where the running fields of an index line begin (-1 for a version 0 line)."""
    at = line.rfind(STAMPS)
    return at if at >= 0 and line.endswith(b"}") and b',"k":' in line[at:] else -1


def stamped_end(line: bytes, at: int) -> int:
    """The "end" of an index line whose running fields begin at AT."""
    start = at + len(STAMPS)
    return int(line[start : line.index(b",", start)])


def line_id(line: bytes, prefix: bytes) -> int:
    """The id right after PREFIX (PUT or ATTEMPT) in an index line."""
    return int(line[len(prefix) : line.index(b",", len(prefix))])


class Brief(NamedTuple):
    op: Op
    id: int
    end: int


def brief(line: bytes) -> Brief | None:
    """The op, id and end of a put or attempt index line, from its bytes alone (None for
    other lines, and version 0 lines): what following the live ids needs, at a fraction of
    parsing the line."""
    at = stamps_at(line)
    if at < 0:
        return None
    if line.startswith(PUT):
        return Brief("put", line_id(line, PUT), stamped_end(line, at))
    if line.startswith(ATTEMPT):
        return Brief("attempt", line_id(line, ATTEMPT), stamped_end(line, at))
    return None


def moved_put(line: bytes, at: int, cid: int, offset: int) -> bytes:
    """A put index LINE (running fields at AT) without its running fields, its log offset
    changed to OFFSET: compaction moves a put this way, never parsing it."""
    head = b'%s%d,"off":' % (PUT, cid)
    return b"%s%d%s" % (head, offset, line[line.index(b",", len(head)) : at])


# -- encoding -------------------------------------------------------------------------------


def dumps(obj: LogOp | IndexEntry | dict[str, Any]) -> bytes:
    """One log or index line. orjson: encoding is most of a capture's cost on the ingest
    path, and orjson does it several times faster than the standard library."""
    return orjson.dumps(obj) + b"\n"


def put_op(cid: int, record: CaptureRecord) -> LogOp:
    return {"op": "put", "id": cid, "doc": record}


def del_op(ids: list[int], freed: int | None = None) -> LogOp:
    """A del; without FREED the writer fills it in from the live ids it tracks."""
    return {"op": "del", "ids": ids} if freed is None else {"op": "del", "ids": ids, "freed": freed}


def meta_op(next_id: int) -> LogOp:
    return {"op": "meta", "next_id": next_id}


#: the running fields of an index line, as `stamped` writes them after an entry's bytes
_STAMPED = b'%s,"end":%d,"n":%d,"c":%d,"g":%d,"k":%d}\n'


def stamp(
    entry: IndexEntry, end: int, next_id: int, live: int, garbage: int, changes: int
) -> IndexEntry:
    """ENTRY with its running fields: the log offset it covers up to, the next id, the
    live captures, the log bytes a compaction would drop, the del and attempt lines."""
    entry["end"], entry["n"], entry["c"], entry["g"], entry["k"] = (
        end,
        next_id,
        live,
        garbage,
        changes,
    )
    return entry


def stamped(head: bytes, end: int, next_id: int, live: int, garbage: int, changes: int) -> bytes:
    """An index line from HEAD, an encoded entry without its closing brace, and the running
    fields as `stamp` puts them: an index line written without encoding the entry again
    (prepared attempts, compaction). The same bytes as dumps(stamp(entry, ...))."""
    return _STAMPED % (head, end, next_id, live, garbage, changes)


class Prepared(NamedTuple):
    """An attempt's log line and the start of its index line, made before taking the
    store's lock (their bytes do not depend on where they land): under the lock only the
    running fields are added. A busy forwarder's batch of attempts thus holds the lock for
    a few microseconds per attempt, not the time to encode each twice."""

    cid: int
    line: bytes
    head: bytes

    @classmethod
    def attempt(cls, cid: int, kind: str, a: bytes) -> Prepared:
        """A: the attempt's record, encoded (orjson.dumps)."""
        # the record encoded once for both (orjson writes a dict's keys in order, with no
        # spaces: these are the bytes of the whole dicts encoded)
        start = b'%s%d,"kind":%b' % (ATTEMPT, cid, _KINDS.get(kind) or orjson.dumps(kind))
        line = b'%b,"attempt":%b}\n' % (start, a)
        return cls(cid, line, b'%b,"len":%d,"a":%b' % (start, len(line), a))


# -- decoding -------------------------------------------------------------------------------


class FormatError(ValueError):
    """A line that is not what the format says (the caller names the file and offset)."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message if not detail else f"{message} ({detail})")
        self.message = message
        self.detail = detail

    def at(self, where: str) -> str:
        """The message with WHERE (" at byte N") before the detail."""
        return self.message + where + (f" ({self.detail})" if self.detail else "")


def loads(line: bytes) -> dict[str, Any]:
    """A line as JSON; FormatError if it is not a JSON object."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as e:
        raise FormatError("unparseable line", str(e)) from e
    if not isinstance(obj, dict):
        raise FormatError("not a JSON object")
    return obj


def load_index(line: bytes) -> IndexEntry:
    """One index line, in today's shape (`upgrade`); FormatError when it lacks a field its
    op needs (a misspelt key) or a put's byte range does not end where the line says."""
    entry: IndexEntry = loads(line)  # type: ignore[assignment]
    problem = _index_problem(entry)
    if problem:
        raise FormatError("bad index line", problem)
    return upgrade(entry)


_RUNNING: tuple[tuple[str, type], ...] = (("end", int), ("n", int))
_INDEX_FIELDS: dict[str, tuple[tuple[str, type], ...]] = {
    "put": (*_RUNNING, ("id", int), ("off", int), ("len", int), ("s", dict)),
    "attempt": (*_RUNNING, ("id", int), ("kind", str)),
    "del": (*_RUNNING, ("ids", list)),
    "meta": _RUNNING,
}


def _index_problem(entry: IndexEntry) -> str | None:
    """What is wrong with one index line on its own, or None (a few dict lookups)."""
    fields = _INDEX_FIELDS.get(entry.get("op"))
    if fields is None:
        return f"unknown op {entry.get('op')!r}"
    for name, kind in fields:
        if not isinstance(entry.get(name), kind):
            return f"expected {name!r} ({kind.__name__}) in a {entry['op']} line"
    if entry["op"] == "put":
        if entry["off"] + entry["len"] != entry["end"]:
            return f"a put at log bytes {entry['off']}+{entry['len']} cannot end at {entry['end']}"
        return _summary_problem(entry["id"], entry["s"])
    return None


def _summary_problem(cid: int, s: dict[str, Any]) -> str | None:
    """What is wrong with a put's summary, as `ls` and `prune` read it."""
    if s.get("id") != cid:
        return f"the summary of capture {cid} says id {s.get('id')!r}"
    try:
        datetime.fromisoformat(s["received_at"])
    except (KeyError, TypeError, ValueError) as e:
        return f"the summary of capture {cid} has no received_at time ({e})"
    return None


def load_doc(line: bytes, cid: int | None = None) -> CaptureRecord:
    """The capture record of the put log LINE (its newline included), which must be
    capture CID's when given (`put_problem`)."""
    if not line.endswith(b"\n"):
        raise FormatError("not a whole put line", "the index's byte range does not match the log")
    op = loads(line)
    problem = put_problem(op, cid)
    if problem:
        raise FormatError("not the put line of the capture", problem)
    doc: CaptureRecord = op["doc"]
    return doc


# -- the rules a damaged store breaks: one owner each, for `store check` and the readers ----

#: the fields every capture record has, with their types
_RECORD_FIELDS = {"id": int, "received_at": str, "method": str, "path": str, "body": str}


def out_of_order(cid: int, before: int) -> str | None:
    """Capture ids ascend: what is wrong with a put of capture CID after one of capture
    BEFORE (0: none), or None."""
    if cid <= before:
        return f"capture id {cid} after id {before}: ids must ascend"
    return None


def put_problem(op: Mapping[str, Any], cid: int | None = None) -> str | None:
    """A put log line holds its capture: a positive id (CID when given) and, under "doc",
    a record with the same id and the fields every record has. What is wrong, or None."""
    found = op.get("id")
    if op.get("op") != "put":
        return f"expected a put line, found {op.get('op')!r}"
    if not isinstance(found, int) or isinstance(found, bool) or found <= 0:
        return f"expected a positive capture id, found {found!r}"
    if cid is not None and found != cid:
        return f"capture {found} where the index has capture {cid}: the index no longer matches"
    doc = op.get("doc")
    if not isinstance(doc, dict):
        return f'capture {found}: expected its record under "doc"'
    for name, kind in _RECORD_FIELDS.items():
        if not isinstance(doc.get(name), kind):
            return f"capture {found}: the record has no {name} {kind.__name__}"
    if doc["id"] != found:
        return f"capture {found}: the record says id {doc['id']}"
    if not isinstance(doc.get("headers"), list):
        return f"capture {found}: the record's headers are not a list"
    return None


def log_problem(op: Mapping[str, Any], first: bool) -> str | None:
    """What is wrong with one log line on its own (FIRST: it starts the log), or None: a
    known operation with the fields it needs. Capture ids ascending (`out_of_order`) and
    a record making a Capture (records.capture_of) are the caller's to add."""
    kind = op.get("op")
    if kind == "put":
        return put_problem(op)
    if kind == "attempt":
        if not isinstance(op.get("id"), int) or op.get("kind") not in ("forwards", "replays"):
            return 'expected an attempt with an "id" and a "kind" of forwards or replays'
        if not isinstance(op.get("attempt"), dict):
            return 'expected the attempt itself under "attempt"'
        return None
    if kind == "del":
        ids = op.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            return 'expected "ids", a list of capture ids, in a del line'
        return None
    if kind == "meta":
        if not first:
            return "a meta line may only start the log"
        if not isinstance(op.get("next_id"), int):
            return 'expected "next_id" in the meta line'
        return None
    return f"unknown operation {kind!r} (expected put, attempt, del or meta)"


def index_version(entry: IndexEntry) -> int:
    """The version of the format an index line was written in."""
    return 1 if has_totals(entry) else 0


def log_version(meta: LogOp) -> int:
    """The version of the format a log was written in from its meta line on (a meta line
    without "v": version 1 or earlier, which wrote none)."""
    return int(meta.get("v", 1))


def check_version(op: LogOp) -> None:
    """Refuse a log that a newer hookcli wrote (its meta line says so)."""
    if op["op"] == "meta" and log_version(op) > RECORD_VERSION:
        raise FormatError(
            f"written by a newer hookcli (store format {log_version(op)}, this one reads"
            f" up to {RECORD_VERSION}): upgrade hookcli"
        )


def upgrade(entry: IndexEntry) -> IndexEntry:
    """An index entry of any version in today's shape, as far as one line can say: a
    version 0 del gets "freed" 0 (nothing was counted then). Its missing totals ("c",
    "g", "k") and an attempt's "len" depend on the lines before it: `has_totals` tells
    the catch-up to fold them, and the length of a line is always the difference of two
    "end"s."""
    if entry["op"] == "del" and "freed" not in entry:
        entry["freed"] = 0
    return entry


def has_totals(entry: IndexEntry) -> bool:
    """Whether the line carries the running totals (version 1 on)."""
    return "k" in entry


def index_entry(op: LogOp, off: int, length: int) -> IndexEntry:
    """The index entry (without its running fields) of the log line OP at OFF, LENGTH bytes
    long. KeyError, TypeError or ValueError for a line that lacks what its op needs;
    FormatError for an op this version does not know."""
    kind = op["op"]
    if kind == "put":
        return {"op": "put", "id": int(op["id"]), "off": off, "len": length, "s": summary(op)}
    if kind == "attempt":
        return {
            "op": "attempt",
            "id": int(op["id"]),
            "kind": str(op["kind"]),
            "len": length,
            "a": op["attempt"],
        }
    if kind == "del":
        return {"op": "del", "ids": [int(i) for i in op["ids"]], "freed": int(op.get("freed", 0))}
    if kind == "meta":
        check_version(op)
        return {"op": "meta"}
    raise FormatError(f"unknown op {kind!r}")


def summary(op: LogOp) -> dict[str, Any]:
    """The index's copy of a put's record: what `ls` shows and filters on."""
    return summary_of(op["doc"])
