"""Backoff and Retry-After arithmetic of the delivery client."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from hookcli.delivery.client import RetryPolicy, _retry_after


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(retries=5, base=0.5, cap=4.0, rng=random.Random(1))
    for retry, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (9, 4.0)]:
        waits = [policy.delay(retry, None) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8  # the whole range is used, not a fixed step


def test_retry_after_wins_and_is_bounded() -> None:
    policy = RetryPolicy(retries=1, max_retry_after=60)
    assert policy.delay(1, 2.0) == 2.0
    assert policy.delay(1, 3600.0) == 60


def test_retry_after_parses_seconds_and_http_dates() -> None:
    assert _retry_after("7") == 7.0
    assert _retry_after(None) is None and _retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    parsed = _retry_after(later)
    assert parsed is not None and 25 <= parsed <= 31
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert _retry_after(past) == 0.0
