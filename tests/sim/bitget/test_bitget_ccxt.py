"""A third-party client (ccxt / ccxt.pro, unchanged, only base URLs overridden) against the
Bitget simulator: markets, book, balance, leverage, market order + position, WS book."""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro
import pytest
from ccxt.base.errors import ChecksumError, UnsubscribeError
from tests.sim.bitget.client import SMALL_SIM, VENUE

from arbcore.sim.faults import FaultKind
from arbcore.sim.testing import VenueEndpoints, running_sim

SYMBOL = "BTC/USDT:USDT"


def ccxt_config(ep: VenueEndpoints) -> dict[str, Any]:
    return {
        "apiKey": ep.api_key,
        "secret": ep.secret,
        "password": ep.passphrase,
        "options": {"defaultType": "swap", "fetchMarkets": {"types": ["swap"]}},
    }


def point_at_sim(exchange: Any, ep: VenueEndpoints) -> None:
    """The only change to the client: base URLs (REST hosts, and WS for ccxt.pro)."""
    hosts = [key for key, value in exchange.urls["api"].items() if isinstance(value, str)]
    exchange.urls["api"] = {
        **dict.fromkeys(hosts, ep.rest_url),
        "ws": {"public": ep.ws_public_url, "private": ep.ws_private_url},
        "demo": {"public": ep.ws_public_url, "private": ep.ws_private_url},
    }  # fmt: skip


async def test_ccxt_rest_trades_against_the_simulator() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim:
        ep = sim.endpoints[VENUE]
        exchange = ccxt_async.bitget(ccxt_config(ep))
        exchange.set_sandbox_mode(True)  # demo trading: adds the paptrading header
        point_at_sim(exchange, ep)
        try:
            markets = await exchange.load_markets()
            assert {SYMBOL, "ETH/USDT:USDT"} <= set(markets)
            btc = markets[SYMBOL]
            assert (btc["precision"]["amount"], btc["precision"]["price"]) == (0.001, 0.1)
            assert btc["limits"]["amount"]["min"] == 0.001

            book = await exchange.fetch_order_book(SYMBOL)
            assert book["bids"][0][0] < book["asks"][0][0]

            balance = await exchange.fetch_balance()
            assert balance["USDT"]["total"] == float(SMALL_SIM.starting_balance_usdt)

            await exchange.set_leverage(5, SYMBOL)
            leverage = await exchange.fetch_leverage(SYMBOL)
            assert leverage["longLeverage"] == 5

            order = await exchange.create_order(SYMBOL, "market", "buy", 0.01)
            fetched = await exchange.fetch_order(order["id"], SYMBOL)
            assert (fetched["status"], fetched["filled"]) == ("closed", 0.01)
            assert fetched["fee"]["cost"] > 0

            positions = await exchange.fetch_positions([SYMBOL])
            assert len(positions) == 1
            position = positions[0]
            assert (position["side"], position["contracts"], position["leverage"]) == (
                "long", 0.01, 5,
            )  # fmt: skip
            assert position["entryPrice"] == fetched["average"]

            trades = await exchange.fetch_my_trades(SYMBOL)
            assert [t["order"] for t in trades] == [order["id"]]

            close = await exchange.create_order(
                SYMBOL, "market", "sell", 0.01, params={"reduceOnly": True}
            )
            assert (await exchange.fetch_order(close["id"], SYMBOL))["status"] == "closed"
            assert await exchange.fetch_positions([SYMBOL]) == []
        finally:
            await exchange.close()


async def test_ccxt_pro_streams_the_book_and_checks_its_checksum() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim:
        ep = sim.endpoints[VENUE]
        exchange = ccxt_pro.bitget(ccxt_config(ep))
        point_at_sim(exchange, ep)
        try:
            for _ in range(10):
                book = await exchange.watch_order_book(SYMBOL)
                assert book["bids"][0][0] < book["asks"][0][0]
            # ccxt verifies every update's CRC32; it must catch a corrupted one (it then
            # unsubscribes, so the failure surfaces as ChecksumError or UnsubscribeError)
            sim.faults(VENUE).corrupt_checksum(1)
            with pytest.raises((ChecksumError, UnsubscribeError)):
                await _watch_many(exchange, 50)
            assert sim.faults(VENUE).applied[FaultKind.CORRUPT_CHECKSUM] == 1
        finally:
            await exchange.close()


async def _watch_many(exchange: Any, n: int) -> None:
    for _ in range(n):
        await exchange.watch_order_book(SYMBOL)
