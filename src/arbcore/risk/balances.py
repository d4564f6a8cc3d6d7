"""Available-margin cache per venue (SPEC §7): exchange reading minus margin committed since."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal

from arbcore.core.enums import Venue
from arbcore.core.models import Balance
from arbcore.exchanges.base import Trading

log = logging.getLogger(__name__)
ZERO = Decimal(0)


@dataclass(slots=True, eq=False)
class MarginCommit:
    """Margin an entry set aside against one reading of the venue's balance.

    `in_flight` until the entry's orders are final: a reading taken meanwhile may not show
    them yet, so the commitment is carried into that reading instead of being dropped."""

    venue: Venue
    amount_usdt: Decimal
    reading: int
    in_flight: bool = True


@dataclass(slots=True)
class VenueMargin:
    available_usdt: Decimal = ZERO
    committed_usdt: Decimal = ZERO  # margin taken by entries since the reading
    read_at_s: float = 0.0  # monotonic seconds; 0 = never read
    reading: int = 0  # counts readings; a commitment belongs to the reading it was made on
    exchange_ts_ms: int = 0  # the exchange's time of the reading (0 = not given)
    pushed: int = 0  # readings pushed by the private stream
    fetched: int = 0  # readings fetched over REST
    in_flight: list[MarginCommit] = field(default_factory=list)

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
    """Readings come from the exchange: pushed by the private stream on every balance change
    (so the first part of an entry decides on the exchange's latest word without awaiting
    I/O on the hot path), fetched at start, after every exit and periodically. An entry
    uses the latest reading minus what was committed since."""

    def __init__(self, clients: dict[Venue, Trading]) -> None:
        self._clients = clients
        self._margins: dict[Venue, VenueMargin] = {v: VenueMargin() for v in clients}

    def margin(self, venue: Venue) -> VenueMargin:
        return self._margins[venue]

    async def refresh(self, venue: Venue) -> VenueMargin:
        balance = await self._clients[venue].fetch_balance()
        margin = self._margins[venue]
        if self._apply(margin, balance):
            margin.fetched += 1
        return margin

    def on_balance(self, balance: Balance) -> None:
        """Private-stream listener: the exchange pushed the account's balance."""
        margin = self._margins.get(balance.venue)
        if margin is not None and self._apply(margin, balance):
            margin.pushed += 1

    @staticmethod
    def _apply(margin: VenueMargin, balance: Balance) -> bool:
        if balance.ts_ms and balance.ts_ms < margin.exchange_ts_ms:
            return False  # older than the reading we have (a slow REST answer, say)
        margin.available_usdt = balance.available
        margin.reading += 1
        # The new reading reflects every order already final; entries still in flight
        # may not be in it yet, so their margin stays committed against this reading.
        margin.committed_usdt = sum((c.amount_usdt for c in margin.in_flight), ZERO)
        for commit in margin.in_flight:
            commit.reading = margin.reading
        margin.read_at_s = time.monotonic()
        margin.exchange_ts_ms = max(margin.exchange_ts_ms, balance.ts_ms)
        return True

    async def refresh_or_log(self, venue: Venue, why: str = "periodic") -> None:
        """`refresh`, for background tasks: a failure is logged (the last reading stays and
        the next push or refresh replaces it), never raised into the caller's task group."""
        try:
            await self.refresh(venue)
        except Exception as exc:
            log.warning("balance read (%s) failed on %s: %s", why, venue, exc)

    async def refresh_all(self) -> None:
        for venue in self._clients:
            await self.refresh_or_log(venue)

    def can_afford(self, venue: Venue, needed_usdt: Decimal) -> bool:
        margin = self._margins.get(venue)
        return margin is not None and margin.read_at_s > 0 and margin.free_usdt >= needed_usdt

    def commit(self, venue: Venue, amount_usdt: Decimal) -> MarginCommit:
        margin = self._margins[venue]
        margin.committed_usdt += amount_usdt
        commit = MarginCommit(venue, amount_usdt, margin.reading)
        margin.in_flight.append(commit)
        return commit

    def settle(self, commit: MarginCommit) -> None:
        """The entry's orders are final: readings from now on include their margin."""
        if commit.in_flight:
            commit.in_flight = False
            self._margins[commit.venue].in_flight.remove(commit)

    def release(self, commit: MarginCommit) -> None:
        """An arbitrage ended: give its margin back, unless a newer reading (which no
        longer counts that margin as used, or counts it as actually used) replaced it.
        Without this, failed refreshes would let commitments pile up and block entries."""
        self.settle(commit)
        margin = self._margins[commit.venue]
        if commit.reading == margin.reading:
            margin.committed_usdt = max(ZERO, margin.committed_usdt - commit.amount_usdt)
