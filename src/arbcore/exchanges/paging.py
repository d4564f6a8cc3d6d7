"""Venue-agnostic helpers for paged history endpoints (time windows of a bounded span)."""

from __future__ import annotations


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
