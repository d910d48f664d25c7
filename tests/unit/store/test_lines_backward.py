"""The backward line reader behind `ls`, `show` and opening a store: every complete line,
with its offset, whatever the block size; a torn tail is never returned."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from hookcli.store import reading


@pytest.mark.parametrize("block", [1, 2, 3, 5, 8, 64, 65536])
def test_lines_backward_matches_a_forward_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(reading, "_BLOCK", block)
    rng = random.Random(block)
    for trial in range(60):
        lines = [
            bytes(rng.choice(b"ab{}") for _ in range(rng.randint(0, 12)))
            for _ in range(rng.randint(0, 8))
        ]
        torn = bytes(rng.choice(b"xyz") for _ in range(rng.choice([0, 0, 1, 5, 20])))
        data = b"".join(x + b"\n" for x in lines) + torn
        path = tmp_path / f"f{trial}"
        path.write_bytes(data)
        expected, offset = [], 0
        for x in lines:
            expected.append((offset, x))
            offset += len(x) + 1
        expected.reverse()
        fd = os.open(path, os.O_RDONLY)
        try:
            assert list(reading.lines_backward(fd, len(data))) == expected
        finally:
            os.close(fd)
