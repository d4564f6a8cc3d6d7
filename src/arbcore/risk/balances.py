"""Available-margin cache per venue (SPEC §7): exchange reading minus margin committed since."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from decimal import Decimal

from arbcore.core.enums import Venue
from arbcore.core.errors import ExchangeError
from arbcore.exchanges.base import Trading

log = logging.getLogger(__name__)
ZERO = Decimal(0)


@dataclass(slots=True)
class VenueMargin:
    available_usdt: Decimal = ZERO
    committed_usdt: Decimal = ZERO  # margin taken by entries since the reading
    read_at_s: float = 0.0  # monotonic seconds; 0 = never read

    @property
    def free_usdt(self) -> Decimal:
        return self.available_usdt - self.committed_usdt


def margin_needed(
    notional_usdt: Decimal, leverage: int, taker_fee: Decimal, buffer_pct: Decimal
) -> Decimal:
    """notional/leverage + entry and exit fees, times (1 + buffer)."""
    base = notional_usdt / leverage + 2 * notional_usdt * max(taker_fee, ZERO)
    return base * (1 + buffer_pct / 100)


class BalanceCache:
    """Readings come from the exchange at start, after every exit and periodically; an entry
    decision uses the cached reading minus what was committed since, never awaiting I/O."""

    def __init__(self, clients: dict[Venue, Trading]) -> None:
        self._clients = clients
        self._margins: dict[Venue, VenueMargin] = {v: VenueMargin() for v in clients}

    def margin(self, venue: Venue) -> VenueMargin:
        return self._margins[venue]

    async def refresh(self, venue: Venue) -> VenueMargin:
        balance = await self._clients[venue].fetch_balance()
        margin = self._margins[venue]
        margin.available_usdt = balance.available
        margin.committed_usdt = ZERO
        margin.read_at_s = time.monotonic()
        return margin

    async def refresh_all(self) -> None:
        for venue in self._clients:
            try:
                await self.refresh(venue)
            except ExchangeError as exc:
                log.warning("balance refresh failed on %s: %s", venue, exc)

    def can_afford(self, venue: Venue, needed_usdt: Decimal) -> bool:
        margin = self._margins.get(venue)
        return margin is not None and margin.read_at_s > 0 and margin.free_usdt >= needed_usdt

    def commit(self, venue: Venue, amount_usdt: Decimal) -> None:
        self._margins[venue].committed_usdt += amount_usdt
