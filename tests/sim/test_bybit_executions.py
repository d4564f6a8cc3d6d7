"""Bybit simulator /v5/execution/list: limit (default 50, 1..100), cursor pages, execTime
newest first, execType filter, the 7-day startTime..endTime rules and the 730 days kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from tests.sim.bybit_client import SMALL_SIM, market_order, private_get, private_post
from tests.sim.shifted_clock import ShiftedClock, settle_at

from arbcore.core.clock import SYSTEM_CLOCK
from arbcore.core.enums import Venue
from arbcore.sim.testing import RunningSim, running_sim

B = Venue.BYBIT
HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS
FUNDING = {"category": "linear", "symbol": "BTCUSDT", "execType": "Funding"}


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def sim(clock: ShiftedClock) -> AsyncIterator[RunningSim]:
    async with running_sim([B], seed=3, config=SMALL_SIM, clock=clock) as running:
        yield running


@pytest.fixture
async def http(sim: RunningSim) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        ack = await private_post(
            session, sim.endpoints[B], "/v5/order/create", market_order("0.01")
        )
        assert ack["retCode"] == 0, ack
        yield session


async def executions(http: aiohttp.ClientSession, sim: RunningSim, **params: Any) -> dict[str, Any]:
    body = await private_get(http, sim.endpoints[B], "/v5/execution/list", **params)
    assert body["retCode"] == 0, body
    result: dict[str, Any] = body["result"]
    return result


async def ret_code(http: aiohttp.ClientSession, sim: RunningSim, **params: Any) -> int:
    body = await private_get(http, sim.endpoints[B], "/v5/execution/list", **params)
    return int(body["retCode"])


async def test_limit_default_max_and_cursor_pages_newest_first(
    sim: RunningSim, http: aiohttp.ClientSession, clock: ShiftedClock
) -> None:
    settle_at(sim, clock, [i * HOUR_MS for i in range(120)])  # 5 days of hourly funding

    first = await executions(http, sim, **FUNDING)
    assert len(first["list"]) == 50  # no limit: Bybit's default page of 50
    times = [int(e["execTime"]) for e in first["list"]]
    assert times == sorted(times, reverse=True)  # newest first
    assert first["nextPageCursor"]
    assert len((await executions(http, sim, **FUNDING, limit=100))["list"]) == 100

    seen: list[dict[str, Any]] = []
    cursor, sizes = "", []
    while True:
        page = await executions(
            http, sim, **FUNDING, limit=40, **({"cursor": cursor} if cursor else {})
        )
        sizes.append(len(page["list"]))
        seen += page["list"]
        cursor = page["nextPageCursor"]
        if not cursor:
            break
    assert sizes == [40, 40, 40]  # the last page ends with nextPageCursor ""
    assert len({e["execId"] for e in seen}) == 120
    all_times = [int(e["execTime"]) for e in seen]
    assert all_times == sorted(all_times, reverse=True)
    assert {e["execType"] for e in seen} == {"Funding"}

    for bad in ("101", "0", "-5", "ten"):
        assert await ret_code(http, sim, **FUNDING, limit=bad) == 10001
    assert await ret_code(http, sim, **FUNDING, cursor="nonsense") == 10001


async def test_exec_type_filter_and_order_lookup(
    sim: RunningSim, http: aiohttp.ClientSession, clock: ShiftedClock
) -> None:
    settle_at(sim, clock, [HOUR_MS, 2 * HOUR_MS])
    everything = await executions(http, sim, category="linear", symbol="BTCUSDT")
    assert sorted(e["execType"] for e in everything["list"]) == ["Funding", "Funding", "Trade"]
    assert everything["list"][0]["execType"] == "Trade"  # booked now: the newest
    trades = await executions(http, sim, category="linear", symbol="BTCUSDT", execType="Trade")
    assert [e["execType"] for e in trades["list"]] == ["Trade"]
    order_id = trades["list"][0]["orderId"]
    by_order = await executions(http, sim, category="linear", orderId=order_id)
    assert [e["execId"] for e in by_order["list"]] == [trades["list"][0]["execId"]]


async def test_seven_day_rules_and_730_days_kept(
    sim: RunningSim, http: aiohttp.ClientSession, clock: ShiftedClock
) -> None:
    settle_at(sim, clock, [800 * DAY_MS, 20 * DAY_MS, 10 * DAY_MS, 3 * DAY_MS, HOUR_MS])
    now = SYSTEM_CLOCK.now_ms()

    async def count(**bounds: int) -> int:
        return len((await executions(http, sim, **FUNDING, limit=100, **bounds))["list"])

    assert await count() == 2  # neither bound: the last 7 days
    over = now - 7 * DAY_MS - 1
    assert await ret_code(http, sim, **FUNDING, startTime=over, endTime=now) == 10001
    assert await ret_code(http, sim, **FUNDING, startTime=now, endTime=now - 1) == 10001
    assert await count(startTime=now - 7 * DAY_MS, endTime=now) == 2  # exactly 7 days is fine
    # startTime alone: startTime..startTime + 7 days (so 11 days ago reaches 4 days ago)
    assert await count(startTime=now - 11 * DAY_MS) == 1
    assert await count(startTime=now - DAY_MS) == 1  # the range may end in the future
    # endTime alone: endTime - 7 days..endTime
    assert await count(endTime=now - 9 * DAY_MS) == 1  # 10 days ago
    assert await count(startTime=now - 21 * DAY_MS, endTime=now - 14 * DAY_MS) == 1
    assert await count(startTime=now - 801 * DAY_MS, endTime=now - 799 * DAY_MS) == 0  # gone
