"""Venue-agnostic helpers for paged history endpoints (time windows of a bounded span)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def history_windows(since_ms: int, now_ms: int, window_ms: int) -> list[tuple[int, int]]:
    """Consecutive [start, end] ranges covering since..now, each at most `window_ms` long."""
    windows = []
    start = since_ms
    while True:
        end = min(start + window_ms, max(now_ms, since_ms))
        windows.append((start, end))
        if end >= now_ms:
            return windows
        start = end + 1


def open_windows(since_ms: int, now_ms: int, step_ms: int) -> list[tuple[int, int | None]]:
    """(start, end) request windows covering since..now, oldest first, each `step_ms` long and
    sharing its boundary millisecond with the next (the venues do not say whether bounds are
    inclusive: callers de-duplicate). The newest has no end and starts at most `step_ms`
    before now; a step of the venue's span minus a margin leaves room for a trailing clock."""
    windows: list[tuple[int, int | None]] = []
    start = since_ms
    while now_ms - start > step_ms:
        windows.append((start, start + step_ms))
        start += step_ms
    windows.append((start, None))
    return windows


def retained_windows(
    since_ms: int, now_ms: int, span_ms: int, keep_ms: int, margin_ms: int, what: str
) -> list[tuple[int, int | None]]:
    """`open_windows` of steps `span_ms - margin_ms` for a venue that keeps `keep_ms` of
    history: a `since_ms` older than that is moved up, and the loss is logged (`what` names
    the venue's records)."""
    oldest = now_ms - keep_ms + margin_ms
    if since_ms < oldest:
        log.warning(
            "%s: since %d is older than the venue keeps (%d days); records before %d cannot "
            "be read and are missing",
            what,
            since_ms,
            keep_ms // 86_400_000,
            oldest,
        )
        since_ms = oldest
    return open_windows(since_ms, now_ms, span_ms - margin_ms)
