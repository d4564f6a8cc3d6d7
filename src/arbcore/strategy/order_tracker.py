"""Learns orders' final state: private-stream updates first, polling by client id as fallback."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from arbcore.core.enums import Venue
from arbcore.core.errors import ExchangeError, OrderNotFound, OrderOutcomeUnknown
from arbcore.core.models import OrderResult
from arbcore.exchanges.base import Trading


@dataclass(frozen=True, slots=True)
class TrackerTiming:
    poll_interval_s: float = 0.25
    final_timeout_s: float = 5.0
    # After a send with unknown outcome, how long "not found" may mean "not arrived yet".
    not_found_grace_s: float = 1.5


class OrderTracker:
    """Futures keyed by (venue, client id), completed by private-stream updates (`on_order`)
    or by polling `fetch_order`. Venue-agnostic; one per engine."""

    def __init__(self, timing: TrackerTiming | None = None) -> None:
        self.timing = timing or TrackerTiming()
        self._waiters: dict[tuple[Venue, str], asyncio.Future[OrderResult]] = {}
        self._latest: dict[tuple[Venue, str], OrderResult] = {}

    def on_order(self, update: OrderResult) -> None:
        """Private-stream listener: remember the newest state, wake a waiter when final."""
        key = (update.venue, update.client_id)
        self._latest[key] = update
        if update.status.is_final:
            fut = self._waiters.get(key)
            if fut is not None and not fut.done():
                fut.set_result(update)

    def forget(self, venue: Venue, client_id: str) -> None:
        self._latest.pop((venue, client_id), None)
        self._waiters.pop((venue, client_id), None)

    async def wait_final(self, client: Trading, symbol: str, client_id: str) -> OrderResult:
        """The final state of an order that was acknowledged (it exists on the exchange)."""
        result = await self._resolve(client, symbol, client_id, not_found_means_absent=False)
        if result is None:  # unreachable: absent is only reported when asked for
            raise OrderOutcomeUnknown(client.venue, f"order {client_id} vanished", client_id)
        return result

    async def resolve_unknown(
        self, client: Trading, symbol: str, client_id: str
    ) -> OrderResult | None:
        """After a timeout or dropped connection: the order's final state, or None when the
        exchange has no such order after the grace period (it was never placed)."""
        return await self._resolve(client, symbol, client_id, not_found_means_absent=True)

    async def _resolve(
        self, client: Trading, symbol: str, client_id: str, *, not_found_means_absent: bool
    ) -> OrderResult | None:
        key = (client.venue, client_id)
        latest = self._latest.get(key)
        if latest is not None and latest.status.is_final:
            return latest
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[OrderResult] = self._waiters.setdefault(key, loop.create_future())
        deadline = loop.time() + self.timing.final_timeout_s
        not_found_since: float | None = None
        last_error: ExchangeError | None = None
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(
                        asyncio.shield(fut), timeout=self.timing.poll_interval_s
                    )
                try:
                    polled = await client.fetch_order(symbol, client_id)
                except OrderNotFound as exc:
                    last_error = exc
                    now = loop.time()
                    not_found_since = not_found_since or now
                    if not_found_means_absent and now - not_found_since >= (
                        self.timing.not_found_grace_s
                    ):
                        return None
                except ExchangeError as exc:  # transient trouble while polling: keep trying
                    last_error = exc
                else:
                    not_found_since = None
                    self.on_order(polled)
                    if polled.status.is_final:
                        return polled
                if loop.time() >= deadline:
                    raise OrderOutcomeUnknown(
                        client.venue,
                        f"order {client_id} has no final state after "
                        f"{self.timing.final_timeout_s}s ({last_error or 'still open'})",
                        client_id=client_id,
                    )
        finally:
            self._waiters.pop(key, None)
