"""Bitget funding payments from account bills: every page of every 30-day window, 90 days kept."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator

import pytest
from tests.exchanges.funding_sim import holding_long
from tests.sim.shifted_clock import ShiftedClock, settle_at

from arbcore.core.clock import SYSTEM_CLOCK
from arbcore.core.enums import Venue
from arbcore.core.errors import ExchangeError
from arbcore.exchanges.bitget import constants as c
from arbcore.exchanges.bitget.client import BitgetClient
from arbcore.exchanges.bitget.funding import bill_windows, collect_bills
from arbcore.sim.testing import RunningSim

SYMBOL = "BTCUSDT"
HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS
NOW = 1_750_000_000_000


def test_forty_days_make_two_windows_newest_without_end_time() -> None:
    since = NOW - 40 * DAY_MS
    windows = bill_windows(since, NOW)
    assert len(windows) == 2
    (start1, end1), (start2, end2) = windows
    assert start1 == since and end1 is not None and end2 is None
    assert start2 == end1  # shared boundary ms: bounds may be exclusive, bills de-duplicated
    assert end1 - start1 <= c.BILL_SPAN_MS - c.BILL_CLOCK_MARGIN_MS
    assert NOW - start2 <= c.BILL_SPAN_MS - c.BILL_CLOCK_MARGIN_MS  # room for a trailing clock


def test_short_range_is_one_window_and_old_since_is_clamped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert bill_windows(NOW - DAY_MS, NOW) == [(NOW - DAY_MS, None)]
    assert bill_windows(NOW + 5, NOW) == [(NOW + 5, None)]  # our clock trails: still asked
    with caplog.at_level(logging.WARNING):
        windows = bill_windows(NOW - 120 * DAY_MS, NOW)
    assert "90 days" in caplog.text
    assert windows[0][0] == NOW - c.BILL_KEEP_MS + c.BILL_CLOCK_MARGIN_MS
    assert len(windows) == 4 and windows[-1][1] is None
    for (start, end), (next_start, _) in itertools.pairwise(windows):
        assert end == next_start and end is not None
        assert end - start <= c.BILL_SPAN_MS


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def held(clock: ShiftedClock) -> AsyncIterator[tuple[RunningSim, BitgetClient]]:
    async with holding_long(Venue.BITGET, clock, "billlong") as (sim, client):
        assert isinstance(client, BitgetClient)
        yield sim, client


@pytest.fixture
def sim(held: tuple[RunningSim, BitgetClient]) -> RunningSim:
    return held[0]


@pytest.fixture
def client(held: tuple[RunningSim, BitgetClient]) -> BitgetClient:
    return held[1]


async def test_a_window_longer_than_the_page_cap_is_an_error_not_a_partial_sum(
    sim: RunningSim, client: BitgetClient, clock: ShiftedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    settle_at(sim, clock, [i * 8 * HOUR_MS for i in range(45)])
    monkeypatch.setattr(c, "BILL_MAX_PAGES", 2)  # 2 pages of 20 < 45 bills
    with pytest.raises(ExchangeError, match="refusing to return a partial list"):
        await collect_bills(
            client.rest,
            SYMBOL,
            "contract_settle_fee",
            SYSTEM_CLOCK.now_ms() - 16 * DAY_MS,
            SYSTEM_CLOCK.now_ms(),
            limit=20,
        )
