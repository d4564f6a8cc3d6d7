"""Bitget simulator REST semantics: contracts, order life cycle, modes, leverage, error codes."""

from __future__ import annotations

from typing import Any

import aiohttp
from tests.sim.bitget.client import PRODUCT, SMALL_SIM, VENUE, get, market_order, post

from arbcore.sim.testing import running_sim

PLACE = "/api/v2/mix/order/place-order"
CANCEL = "/api/v2/mix/order/cancel-order"
Q = f"productType={PRODUCT}"
QS = f"symbol=BTCUSDT&{Q}"


def limit_order(price: str, size: str = "0.01", force: str = "GTC", **extra: str) -> dict[str, str]:
    return dict(market_order("BTCUSDT", "buy", size, **extra), orderType="limit", price=price,
                force=force)  # fmt: skip


async def test_contracts_describe_the_instruments_the_core_trades() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        _, body = await get(http, ep, "/api/v2/mix/market/contracts", Q, signed=False)
        rows = {row["symbol"]: row for row in body["data"]}
        assert set(rows) == {"BTCUSDT", "ETHUSDT"}
        btc = rows["BTCUSDT"]
        assert (btc["pricePlace"], btc["priceEndStep"], btc["volumePlace"]) == ("1", "1", "3")
        assert (btc["sizeMultiplier"], btc["minTradeNum"], btc["minTradeUSDT"]) == (
            "0.001", "0.001", "5",
        )  # fmt: skip
        assert btc["takerFeeRate"] == "0.0006"
        _, coin = await get(http, ep, "/api/v2/mix/market/contracts",
                            "productType=COIN-FUTURES", signed=False)  # fmt: skip
        assert coin["data"] == []
        status, unknown = await get(http, ep, "/api/v2/mix/market/ticker",
                                    f"symbol=NOPEUSDT&{Q}", signed=False)  # fmt: skip
        assert (status, unknown["code"]) == (400, "40102")


async def test_limit_order_life_cycle_and_cancel_errors() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        _, ack = await post(http, ep, PLACE, limit_order("30000.0", clientOid="rest1"))
        order_id = ack["data"]["orderId"]
        _, detail = await get(http, ep, "/api/v2/mix/order/detail", f"clientOid=rest1&{QS}")
        assert (detail["data"]["state"], detail["data"]["price"]) == ("live", "30000")
        _, pending = await get(http, ep, "/api/v2/mix/order/orders-pending", QS)
        assert [o["orderId"] for o in pending["data"]["entrustedList"]] == [order_id]
        _, dup = await post(http, ep, PLACE, limit_order("30000.0", clientOid="rest1"))
        assert dup["code"] == "40786"
        _, off_tick = await post(http, ep, PLACE, limit_order("30000.05"))
        assert off_tick["code"] == "41103"

        cancel = {"symbol": "BTCUSDT", "productType": PRODUCT, "marginCoin": "USDT"}
        _, done = await post(http, ep, CANCEL, {**cancel, "clientOid": "rest1"})
        assert done["data"] == {"orderId": order_id, "clientOid": "rest1"}
        _, again = await post(http, ep, CANCEL, {**cancel, "orderId": order_id})
        assert again["code"] == "40768"
        _, history = await get(http, ep, "/api/v2/mix/order/orders-history", QS)
        assert history["data"]["entrustedList"][0]["status"] == "canceled"
        _, pending = await get(http, ep, "/api/v2/mix/order/orders-pending", QS)
        assert pending["data"]["entrustedList"] == []

        _, ioc = await post(http, ep, PLACE, limit_order("30000.0", force="IOC"))
        _, ioc_detail = await get(http, ep, "/api/v2/mix/order/detail",
                                  f"orderId={ioc['data']['orderId']}&{QS}")  # fmt: skip
        assert (ioc_detail["data"]["state"], ioc_detail["data"]["force"]) == ("canceled", "ioc")


async def _position(http: aiohttp.ClientSession, ep: Any) -> list[dict[str, Any]]:
    _, body = await get(http, ep, "/api/v2/mix/position/single-position",
                        f"marginCoin=USDT&{QS}")  # fmt: skip
    rows: list[dict[str, Any]] = body["data"]
    return rows


async def test_hedge_mode_opens_and_closes_with_trade_side() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        mode = "/api/v2/mix/account/set-position-mode"
        _, switched = await post(http, ep, mode, {"productType": PRODUCT, "posMode": "hedge_mode"})
        assert switched["data"] == {"posMode": "hedge_mode"}
        _, no_side = await post(http, ep, PLACE, market_order("BTCUSDT", "buy", "0.01"))
        assert no_side["code"] == "40774"
        open_short = market_order("BTCUSDT", "sell", "0.02", tradeSide="open")
        _, opened = await post(http, ep, PLACE, open_short)
        assert opened["code"] == "00000"
        [short] = await _position(http, ep)
        assert (short["holdSide"], short["total"], short["posMode"]) == (
            "short", "0.02", "hedge_mode",
        )  # fmt: skip
        _, busy = await post(http, ep, mode, {"productType": PRODUCT, "posMode": "one_way_mode"})
        assert busy["code"] == "45117"
        # hedge mode: `side` names the position, so closing the short is side=sell + close
        close_short = market_order("BTCUSDT", "sell", "0.02", tradeSide="Close")
        _, closed = await post(http, ep, PLACE, close_short)
        _, detail = await get(http, ep, "/api/v2/mix/order/detail",
                              f"orderId={closed['data']['orderId']}&{QS}")  # fmt: skip
        assert (detail["data"]["side"], detail["data"]["tradeSide"]) == ("sell", "close")
        assert (detail["data"]["posSide"], detail["data"]["reduceOnly"]) == ("short", "YES")
        assert await _position(http, ep) == []


async def test_margin_mode_and_leverage_settings() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        base = {"symbol": "BTCUSDT", "productType": PRODUCT, "marginCoin": "USDT"}
        lev = "/api/v2/mix/account/set-leverage"
        for _ in range(2):  # setting the same value again succeeds on Bitget
            _, body = await post(http, ep, lev, {**base, "leverage": "20"})
            assert body["data"]["longLeverage"] == "20"
        _, too_high = await post(http, ep, lev, {**base, "leverage": "500"})
        assert too_high["code"] == "40797"
        margin = "/api/v2/mix/account/set-margin-mode"
        _, iso = await post(http, ep, margin, {**base, "marginMode": "isolated"})
        assert iso["data"]["marginMode"] == "isolated"
        _, account = await get(http, ep, "/api/v2/mix/account/account", f"marginCoin=USDT&{QS}")
        assert (account["data"]["marginMode"], account["data"]["crossedMarginLeverage"]) == (
            "isolated", 20,
        )  # fmt: skip
        await post(http, ep, PLACE, market_order("BTCUSDT", "buy", "0.01"))
        _, busy = await post(http, ep, margin, {**base, "marginMode": "crossed"})
        assert busy["code"] == "45117"
        [pos] = await _position(http, ep)
        assert (pos["marginMode"], pos["leverage"]) == ("isolated", "20")


async def test_unknown_enum_values_get_a_parameter_error() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        status, body = await post(http, ep, PLACE, market_order("BTCUSDT", "up", "0.01"))
        assert (status, body["code"]) == (400, "40017")
        status, body = await post(http, ep, PLACE, {"symbol": "BTCUSDT", "productType": PRODUCT})
        assert (status, body["code"], body["msg"]) == (
            400, "40019", "Parameter side cannot be empty",
        )  # fmt: skip
