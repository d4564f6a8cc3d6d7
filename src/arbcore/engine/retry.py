"""Retry of idempotent exchange calls (start-up, reconciliation) through transient errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from arbcore.core.errors import ExchangeError

log = logging.getLogger(__name__)
T = TypeVar("T")


async def retry_transient(
    call: Callable[[], Awaitable[T]],
    what: str,
    attempts: int = 30,  # about 2.5 minutes at the longest pause: a restart outlasts bursts
    first_delay_s: float = 0.5,
    max_delay_s: float = 5.0,
) -> T:
    """`call()` again after rate limits, busy answers and network errors (errors whose
    `retryable` is true), backing off exponentially; anything else, or the last failure,
    is raised. Only for calls that are safe to repeat: reads and settings."""
    delay_s = first_delay_s
    attempt = 1
    while True:
        try:
            return await call()
        except ExchangeError as exc:
            if not exc.retryable or attempt >= attempts:
                raise
            log.warning("%s failed (%s); retry %d in %.1fs", what, exc, attempt, delay_s)
        await asyncio.sleep(delay_s)
        delay_s = min(delay_s * 2, max_delay_s)
        attempt += 1
