"""A simulator clock set back in time, to book funding settlements days or weeks in the past."""

from __future__ import annotations

from decimal import Decimal

from arbcore.core.clock import SYSTEM_CLOCK
from arbcore.core.enums import Venue
from arbcore.sim.testing import RunningSim


class ShiftedClock:
    """System time minus `back_ms`: what the matching core books while it is set is backdated
    (the REST front end keeps the real time, like the venue's server)."""

    def __init__(self) -> None:
        self.back_ms = 0

    def now_ms(self) -> int:
        return SYSTEM_CLOCK.now_ms() - self.back_ms

    def monotonic_ns(self) -> int:
        return SYSTEM_CLOCK.monotonic_ns()


def settle_at(
    sim: RunningSim,
    clock: ShiftedClock,
    ages_ms: list[int],
    rate: Decimal = Decimal("0.0001"),
    venue: Venue | None = None,
    symbol: str = "BTCUSDT",
) -> None:
    """One `symbol` funding settlement `age` ms ago for each age, oldest first (the matching
    core of `sim` runs on `clock`); `venue` may be left out when `sim` runs only one."""
    if venue is None:
        (venue,) = sim.endpoints
    exchange = sim.exchange(venue)
    for age in sorted(ages_ms, reverse=True):
        clock.back_ms = age
        exchange.settle_funding(symbol, rate=rate)
    clock.back_ms = 0
