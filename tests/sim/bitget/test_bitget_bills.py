"""Bitget simulator account/bill: limit (default 20, max 100), idLessThan/endId pages,
newest first, the 30-day startTime..endTime span and the 90 days kept."""

from __future__ import annotations

from typing import Any

import aiohttp
from tests.sim.bitget.client import PRODUCT, SMALL_SIM, VENUE, get, market_order, post
from tests.sim.shifted_clock import ShiftedClock, settle_at

from arbcore.core.clock import SYSTEM_CLOCK
from arbcore.sim.testing import RunningSim, running_sim

BILL = "/api/v2/mix/account/bill"
Q = f"productType={PRODUCT}&symbol=BTCUSDT&businessType=contract_settle_fee"
HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS


async def bills(http: aiohttp.ClientSession, sim: RunningSim, extra: str = "") -> dict[str, Any]:
    status, body = await get(http, sim.endpoints[VENUE], BILL, Q + extra)
    assert status == 200 and body["code"] == "00000", body
    data: dict[str, Any] = body["data"]
    return data


async def error_code(http: aiohttp.ClientSession, sim: RunningSim, extra: str) -> str:
    status, body = await get(http, sim.endpoints[VENUE], BILL, Q + extra)
    assert status == 400, body
    return str(body["code"])


async def test_limit_default_max_and_paging_newest_first() -> None:
    clock = ShiftedClock()
    async with (
        running_sim([VENUE], config=SMALL_SIM, clock=clock) as sim,
        aiohttp.ClientSession() as http,
    ):
        await post(http, sim.endpoints[VENUE], "/api/v2/mix/order/place-order",
                   market_order("BTCUSDT", "buy", "0.01"))  # fmt: skip
        settle_at(sim, clock, [i * 8 * HOUR_MS for i in range(45)])  # 15 days of 8 h funding

        first = await bills(http, sim)
        assert len(first["bills"]) == 20  # no limit: Bitget's default page of 20
        times = [int(b["cTime"]) for b in first["bills"]]
        assert times == sorted(times, reverse=True)  # newest first
        assert first["endId"] == first["bills"][-1]["billId"]
        assert len((await bills(http, sim, "&limit=100"))["bills"]) == 45

        seen: list[str] = []
        end_id, sizes = "", []
        while True:
            page = await bills(http, sim, "&limit=20" + (f"&idLessThan={end_id}" if end_id else ""))
            sizes.append(len(page["bills"]))
            seen += [b["billId"] for b in page["bills"]]
            if not page["bills"]:
                assert page["endId"] is None
                break
            end_id = page["endId"]
        assert sizes == [20, 20, 5, 0]
        assert len(set(seen)) == 45
        assert [int(i) for i in seen] == sorted((int(i) for i in seen), reverse=True)

        for bad in ("101", "0", "-5", "ten"):
            assert await error_code(http, sim, f"&limit={bad}") == "40017"


async def test_thirty_day_span_and_ninety_days_kept() -> None:
    clock = ShiftedClock()
    async with (
        running_sim([VENUE], config=SMALL_SIM, clock=clock) as sim,
        aiohttp.ClientSession() as http,
    ):
        await post(http, sim.endpoints[VENUE], "/api/v2/mix/order/place-order",
                   market_order("BTCUSDT", "buy", "0.01"))  # fmt: skip
        settle_at(sim, clock, [95 * DAY_MS, 40 * DAY_MS, 20 * DAY_MS, HOUR_MS])
        now = SYSTEM_CLOCK.now_ms()

        over = now - 31 * DAY_MS
        assert await error_code(http, sim, f"&startTime={over}&endTime={now}") == "40017"
        # endTime left out counts as now (the doc does not say; the strict reading)
        assert await error_code(http, sim, f"&startTime={over}") == "40017"

        recent = await bills(http, sim, f"&startTime={now - 29 * DAY_MS}&limit=100")
        assert len(recent["bills"]) == 2  # 20 days and 1 hour ago
        older = await bills(
            http, sim, f"&startTime={now - 50 * DAY_MS}&endTime={now - 21 * DAY_MS}&limit=100"
        )
        assert len(older["bills"]) == 1  # 40 days ago
        gone = await bills(
            http, sim, f"&startTime={now - 100 * DAY_MS}&endTime={now - 90 * DAY_MS}&limit=100"
        )
        assert gone["bills"] == [] and gone["endId"] is None  # past the 90 days kept
        assert len((await bills(http, sim, "&limit=100"))["bills"]) == 3
