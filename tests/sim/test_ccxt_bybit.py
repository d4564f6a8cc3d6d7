"""A third-party client (ccxt, ccxt.pro) works unchanged against the Bybit simulator: URLs only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro
import pytest
from tests.sim.bybit_client import SMALL_SIM

from arbcore.core.enums import Venue
from arbcore.sim.testing import RunningSim, VenueEndpoints, running_sim

B = Venue.BYBIT
SYMBOL = "BTC/USDT:USDT"
LINEAR_ONLY = {"fetchMarkets": {"types": ["linear"]}}


def point_at_sim(client: Any, ep: VenueEndpoints) -> None:
    """Replace every base URL of a ccxt bybit client with the simulator's (nothing else)."""
    api = client.urls["api"]
    for key, value in list(api.items()):
        if isinstance(value, str):
            api[key] = ep.rest_url
    if "ws" in api:
        api["ws"]["public"]["linear"] = ep.ws_public_url
        api["ws"]["private"]["contract"] = ep.ws_private_url


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    async with running_sim([B], seed=41, config=SMALL_SIM) as running:
        yield running


async def test_ccxt_rest_trading_flow(sim: RunningSim) -> None:
    ep = sim.endpoints[B]
    client = ccxt_async.bybit({"apiKey": ep.api_key, "secret": ep.secret, "options": LINEAR_ONLY})
    point_at_sim(client, ep)
    try:
        markets = await client.load_markets()
        assert {SYMBOL, "ETH/USDT:USDT"} <= set(markets)
        market = markets[SYMBOL]
        assert market["linear"] and market["precision"]["amount"] == 0.001
        book = await client.fetch_order_book(SYMBOL, 5)
        assert len(book["bids"]) == 5 and book["bids"][0][0] < book["asks"][0][0]
        balance = await client.fetch_balance()
        assert balance["USDT"]["total"] == 100000.0
        await client.set_leverage(5, SYMBOL)
        order = await client.create_order(
            SYMBOL, "market", "buy", 0.01, params={"clientOrderId": "cx-1"}
        )
        assert order["id"]
        positions = await client.fetch_positions([SYMBOL])
        assert positions[0]["contracts"] == 0.01 and positions[0]["side"] == "long"
        assert positions[0]["leverage"] == 5
        fetched = await client.fetch_order(order["id"], SYMBOL, params={"acknowledged": True})
        assert fetched["status"] == "closed" and fetched["filled"] == 0.01
        truth = sim.exchange(B).positions(sim.account_id(B), "BTCUSDT")[0]
        assert float(truth.qty) == 0.01
        after = await client.fetch_balance()
        assert after["USDT"]["used"] > 0
    finally:
        await client.close()


async def test_ccxt_pro_streams_order_book_and_orders(sim: RunningSim) -> None:
    ep = sim.endpoints[B]
    client = ccxt_pro.bybit({"apiKey": ep.api_key, "secret": ep.secret, "options": LINEAR_ONLY})
    point_at_sim(client, ep)
    try:
        await client.load_markets()
        nonces = set()
        for _ in range(5):
            book = await asyncio.wait_for(client.watch_order_book(SYMBOL), timeout=10)
            assert book["bids"][0][0] < book["asks"][0][0]
            nonces.add(book["nonce"] if book["nonce"] is not None else book["timestamp"])
        assert len(nonces) > 1  # the book moved between updates
        watcher = asyncio.ensure_future(client.watch_orders(SYMBOL))
        await asyncio.sleep(0.5)  # let the private socket log in and subscribe
        await client.create_order(SYMBOL, "market", "sell", 0.002)
        orders = await asyncio.wait_for(watcher, timeout=10)
        assert orders[-1]["side"] == "sell" and orders[-1]["filled"] == 0.002
    finally:
        await client.close()
