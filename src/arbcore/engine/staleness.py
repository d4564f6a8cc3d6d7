"""SPEC §6 alerts: each stale transition journaled, one alert past `stale_alert_after_s`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from arbcore.core.enums import Venue
from arbcore.engine.pair_lifecycle import PairLifecycle
from arbcore.strategy.journal import Journal

log = logging.getLogger(__name__)
Key = tuple[Venue, str]


class StaleWatch:
    """Fed by the book registry's state listener; `run()` raises the delayed alerts."""

    def __init__(
        self, journal: Journal, alert_after_s: float, pairs: Callable[[], Iterable[PairLifecycle]]
    ) -> None:
        self.journal = journal
        self.alert_after_s = alert_after_s
        self.pairs = pairs
        self._since: dict[Key, tuple[float, str]] = {}
        self._alerted: set[Key] = set()

    def on_book_state(self, venue: Venue, symbol: str, stale: bool, reason: str) -> None:
        """A BookStateListener: journal the transition, remember when staleness began."""
        key = (venue, symbol)
        if stale:
            self._since.setdefault(key, (asyncio.get_running_loop().time(), reason))
            self.journal.event(
                "book_stale", None, None, venue=venue.value, symbol=symbol, reason=reason
            )
            return
        self._since.pop(key, None)
        if key in self._alerted:
            self._alerted.discard(key)
            self.journal.event("stale_recovered", None, None, venue=venue.value, symbol=symbol)

    async def run(self) -> None:
        """One `stale_alert` per stale period that outlasts the limit, naming the Pairs
        whose positions wait on that book."""
        while True:
            await asyncio.sleep(min(1.0, self.alert_after_s / 2))
            now = asyncio.get_running_loop().time()
            for key, (since, reason) in list(self._since.items()):
                if key in self._alerted or now - since < self.alert_after_s:
                    continue
                self._alerted.add(key)
                venue, symbol = key
                waiting = [
                    p.pair_id
                    for p in self.pairs()
                    if p.spec.symbol == symbol and p.position is not None
                    and venue in (p.position.long.venue, p.position.short.venue)
                ]  # fmt: skip
                self.journal.event(
                    "stale_alert", None, None, venue=venue.value, symbol=symbol,
                    stale_s=round(now - since, 1), reason=reason, pairs_with_positions=waiting,
                )  # fmt: skip
                log.error("%s %s stale for %.0fs (%s)", venue, symbol, now - since, reason)
