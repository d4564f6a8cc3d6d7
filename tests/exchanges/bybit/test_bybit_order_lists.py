"""Bybit order lists: cursor pages, the 7-day history span and retention, on the simulator."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest

from arbcore.core.enums import Env, OrderStatus, OrderType, Side, TimeInForce, Venue
from arbcore.core.errors import ExchangeError
from arbcore.core.models import OrderRequest
from arbcore.exchanges.base import ConnectorConfig, Credentials
from arbcore.exchanges.bybit import constants as C
from arbcore.exchanges.bybit.client import BybitClient
from arbcore.exchanges.paging import history_windows
from arbcore.sim.events import SimOrder
from arbcore.sim.testing import RunningSim, running_sim
from arbcore.sim.venues import bybit_lists

FIXTURES = Path(__file__).parents[2] / "fixtures" / "bybit"
DAY_MS = 24 * 3600 * 1000
# "<orderId>%3A<createdTime>%2C<orderId>%3A<createdTime>", as Bybit sends it
CURSOR = re.compile(r"[0-9a-f-]+%3A\d+%2C[0-9a-f-]+%3A\d+")


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    async with running_sim([Venue.BYBIT], seed=5) as running:
        running.pause_market()
        yield running


@pytest.fixture
async def client(sim: RunningSim) -> AsyncIterator[BybitClient]:
    ep = sim.endpoints[Venue.BYBIT]
    config = ConnectorConfig(
        venue=Venue.BYBIT,
        env=Env.SIM,
        credentials=Credentials(ep.api_key, ep.secret),
        rest_url=ep.rest_url,
        ws_public_url=ep.ws_public_url,
        ws_private_url=ep.ws_private_url,
        max_trading_wait_ms=5000.0,
    )
    bybit = BybitClient(config)
    await bybit.start()
    try:
        yield bybit
    finally:
        await bybit.close()


async def _rest_orders(client: BybitClient, sim: RunningSim, n: int) -> list[str]:
    mid = sim.exchange(Venue.BYBIT).mark_price("BTCUSDT")
    ids = []
    for i in range(n):
        req = OrderRequest(
            venue=Venue.BYBIT,
            symbol="BTCUSDT",
            side=Side.BUY,
            qty_base=Decimal("0.01"),
            client_id=f"lst{i}",
            order_type=OrderType.LIMIT,
            tif=TimeInForce.GTC,
            price=(mid * Decimal("0.9")).quantize(Decimal("0.1")),
        )
        ids.append((await client.submit_order(req)).client_id)
    return ids


def test_recorded_cursor_has_the_shape_the_simulator_sends() -> None:
    path = FIXTURES / "rest/order_history__ccxt_linear_two_filled.json"
    recorded = json.loads(path.read_text())
    assert CURSOR.fullmatch(recorded["result"]["nextPageCursor"])


async def test_open_orders_page_by_cursor_each_once(client: BybitClient, sim: RunningSim) -> None:
    placed = await _rest_orders(client, sim, 3)
    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        page = await client.rest.order_page(
            C.PATH_ORDER_REALTIME, "BTCUSDT", limit=1, cursor=cursor, open_only=0
        )
        seen += [o.orderLinkId for o in page.list]
        cursor = page.nextPageCursor
        if not cursor:
            break
        assert CURSOR.fullmatch(cursor)
    assert seen == list(reversed(placed))  # newest first, one per page, none twice
    assert cursor == ""


async def test_history_refuses_more_than_seven_days(client: BybitClient) -> None:
    now_ms = int(time.time() * 1000)
    with pytest.raises(ExchangeError) as info:
        await client.rest.order_page(
            C.PATH_ORDER_HISTORY, "BTCUSDT", limit=50, start_ms=now_ms - 8 * DAY_MS, end_ms=now_ms
        )
    assert info.value.code == "10001"
    page = await client.rest.order_page(
        C.PATH_ORDER_HISTORY, "BTCUSDT", limit=50, start_ms=now_ms - C.HISTORY_WINDOW_MS
    )
    assert page.list == []


def test_history_windows_are_seven_days_at_most() -> None:
    windows = history_windows(0, 20 * DAY_MS, C.HISTORY_WINDOW_MS)
    assert windows[0][0] == 0 and windows[-1][1] == 20 * DAY_MS and len(windows) == 3
    assert all(end - start <= C.HISTORY_WINDOW_MS for start, end in windows)
    assert all(b[0] == a[1] + 1 for a, b in pairwise(windows))


def _sim_order(order_id: str, created_ms: int, status: OrderStatus, filled: str) -> SimOrder:
    return SimOrder(
        order_id=order_id, client_id=f"c{order_id}", account_id="a", symbol="BTCUSDT",
        side=Side.BUY, order_type=OrderType.LIMIT, tif=TimeInForce.GTC, qty=Decimal("1"),
        price=Decimal("100"), reduce_only=False, position_side=None, created_ms=created_ms,
        updated_ms=created_ms, status=status, filled_qty=Decimal(filled),
    )  # fmt: skip


def test_history_keeps_untraded_closed_orders_one_day() -> None:
    now = 100 * DAY_MS
    orders = [
        _sim_order("5", now - 1000, OrderStatus.NEW, "0"),  # open: realtime only
        _sim_order("4", now - 2000, OrderStatus.CANCELLED, "0"),
        _sim_order("3", now - 2 * DAY_MS, OrderStatus.CANCELLED, "0"),  # gone after 24 h
        _sim_order("2", now - 3 * DAY_MS, OrderStatus.CANCELLED, "0.5"),  # traded: kept
        _sim_order("1", now - 9 * DAY_MS, OrderStatus.FILLED, "1"),  # outside the window
    ]
    window = bybit_lists.history_window({}, now)
    assert window == (now - 7 * DAY_MS, now)
    kept = bybit_lists.history_orders(orders, window, now)
    assert [o.order_id for o in kept] == ["4", "2"]
    assert bybit_lists.history_window({"startTime": "5"}, now) == (5, 5 + 7 * DAY_MS)
