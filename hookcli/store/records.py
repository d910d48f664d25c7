"""The rule that a stored record makes a Capture (what `show` prints): one owner, for
`store check` and the readers alike. Apart from format.py because it needs the model's
Capture, whose record type is format.py's."""

from __future__ import annotations

from hookcli.model.capture import Capture
from hookcli.store.format import CaptureRecord, FormatError


def capture_of(doc: CaptureRecord) -> Capture:
    """The Capture a stored record makes; FormatError when it makes none, which `store
    check` reports as damage."""
    try:
        return Capture.from_record(doc)
    except (KeyError, TypeError, ValueError) as e:
        raise FormatError(f"capture {doc.get('id')}: the record cannot be read", str(e)) from e
