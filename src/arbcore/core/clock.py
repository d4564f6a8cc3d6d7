"""Clocks: wall time in ms for exchanges and records, monotonic ns for latency; a fake for tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...

    def monotonic_ns(self) -> int: ...


class SystemClock:
    """The real clocks."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def monotonic_ns(self) -> int:
        return time.perf_counter_ns()


class FakeClock:
    """A clock that moves only when told to (tests, accelerated simulation)."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._ns = start_ms * 1_000_000

    def now_ms(self) -> int:
        return self._ns // 1_000_000

    def monotonic_ns(self) -> int:
        return self._ns

    def advance_ms(self, ms: float) -> None:
        self._ns += int(ms * 1_000_000)


SYSTEM_CLOCK = SystemClock()


def utc_from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def utc_now() -> datetime:
    return datetime.now(tz=UTC)
