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


@dataclass(frozen=True, slots=True)
class MarginCommit:
    """Margin an entry set aside against one reading of the venue's balance."""

    venue: Venue
    amount_usdt: Decimal
    reading: int


@dataclass(slots=True)
class VenueMargin:
    available_usdt: Decimal = ZERO
    committed_usdt: Decimal = ZERO  # margin taken by entries since the reading
    read_at_s: float = 0.0  # monotonic seconds; 0 = never read
    reading: int = 0  # counts readings; a commitment belongs to the reading it was made on

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
        margin.committed_usdt = ZERO  # the new reading already reflects open positions
        margin.read_at_s = time.monotonic()
        margin.reading += 1
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

    def commit(self, venue: Venue, amount_usdt: Decimal) -> MarginCommit:
        margin = self._margins[venue]
        margin.committed_usdt += amount_usdt
        return MarginCommit(venue, amount_usdt, margin.reading)

    def release(self, commit: MarginCommit) -> None:
        """An arbitrage ended: give its margin back, unless a newer reading (which no
        longer counts that margin as used, or counts it as actually used) replaced it.
        Without this, failed refreshes would let commitments pile up and block entries."""
        margin = self._margins[commit.venue]
        if commit.reading == margin.reading:
            margin.committed_usdt = max(ZERO, margin.committed_usdt - commit.amount_usdt)
