"""Every venue: funding payments since a trade opened come back whole, over every time window
and page the venue's history endpoint splits them into."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from tests.contract.adapters import VenueAdapter
from tests.exchanges.funding_sim import holding_long
from tests.sim.shifted_clock import ShiftedClock, settle_at

from arbcore.core.clock import SYSTEM_CLOCK
from arbcore.exchanges.base import ExchangeClient
from arbcore.sim.events import LedgerKind
from arbcore.sim.testing import RunningSim

HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def held(
    adapter: VenueAdapter, clock: ShiftedClock
) -> AsyncIterator[tuple[RunningSim, ExchangeClient]]:
    async with holding_long(adapter.venue, clock, "fundinglong") as pair:
        yield pair


def booked_funding(sim: RunningSim, adapter: VenueAdapter) -> list[Decimal]:
    ledger = sim.exchange(adapter.venue).ledger(sim.account_id(adapter.venue))
    return [e.amount_usdt for e in ledger if e.kind is LedgerKind.FUNDING]


async def test_fifteen_days_of_funding_come_back_whole(
    held: tuple[RunningSim, ExchangeClient], adapter: VenueAdapter, clock: ShiftedClock
) -> None:
    sim, client = held
    since = SYSTEM_CLOCK.now_ms() - 16 * DAY_MS
    settle_at(sim, clock, [i * 8 * HOUR_MS for i in range(45)])  # 15 days of 8 h funding
    booked = booked_funding(sim, adapter)
    assert len(booked) == 45
    payments = await client.fetch_funding_payments(adapter.symbol, since)
    # One request gave 20 (Bitget's default page) or 7 days (Bybit's default window).
    assert len(payments) == 45
    assert sorted(p.amount_usdt for p in payments) == sorted(booked)
    assert all(p.amount_usdt < 0 for p in payments)  # a long pays a positive rate
    times = [p.ts_ms for p in payments]
    assert times == sorted(times) and len(set(times)) == 45


async def test_forty_days_of_funding_over_windows_and_pages(
    held: tuple[RunningSim, ExchangeClient], adapter: VenueAdapter, clock: ShiftedClock
) -> None:
    sim, client = held
    now = SYSTEM_CLOCK.now_ms()
    four_hourly = [i * 4 * HOUR_MS + HOUR_MS for i in range(240)]  # 40 days
    hourly = [i * HOUR_MS + 30 * 60 * 1000 for i in range(150)]  # the newest window > 1 page
    ancient = 800 * DAY_MS  # older than any venue keeps
    settle_at(sim, clock, [*four_hourly, *hourly, ancient])
    booked = booked_funding(sim, adapter)
    assert len(booked) == 391
    payments = await client.fetch_funding_payments(adapter.symbol, now - 41 * DAY_MS)
    assert len(payments) == 390
    assert sum((p.amount_usdt for p in payments), Decimal(0)) == sum(booked[1:], Decimal(0))
    assert len({p.ts_ms for p in payments}) == 390
