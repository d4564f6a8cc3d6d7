"""Bybit front end over real sockets: signatures, envelopes, retCodes and trading endpoints."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal as D

import aiohttp
import pytest
from tests.sim.bybit_client import (
    SMALL_SIM,
    market_order,
    private_get,
    private_post,
    public_get,
    signed_headers,
)

from arbcore.core.enums import Venue
from arbcore.sim.testing import RunningSim, running_sim
from arbcore.sim.venues.bybit_errors import sign_hex

B = Venue.BYBIT


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    async with running_sim([B], seed=11, config=SMALL_SIM) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def test_signature_matches_the_fact_sheet_worked_example() -> None:
    body = (
        '{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit",'
        '"qty":"0.010","price":"37000.5","timeInForce":"IOC","orderLinkId":"arb-1-L-1-0"}'
    )
    presign = f"1700000000000bybit-demo-key5000{body}"
    expected = "fabb0eb45e0b3f99c76a7df9f87967b629043bad361936dafc7979b099969367"
    assert sign_hex("bybit-demo-secret", presign) == expected
    ws_sign = sign_hex("bybit-demo-secret", "GET/realtime1700000010000")
    assert ws_sign == "e9be9bc3977ad0f9628ebf687b6a33d210ea60cd755ac9c15449183ba93571c1"


async def test_auth_failures_use_real_codes(sim: RunningSim, http: aiohttp.ClientSession) -> None:
    ep = sim.endpoints[B]
    url = f"{ep.rest_url}/v5/position/list?category=linear&symbol=BTCUSDT"
    query = "category=linear&symbol=BTCUSDT"
    async with http.get(url) as resp:
        missing = await resp.json()
    assert resp.status == 200 and missing["retCode"] == 10001
    assert "openapi sign params error" in missing["retMsg"]
    wrong_key = {**signed_headers(ep, query), "X-BAPI-API-KEY": "nope"}
    async with http.get(url, headers=wrong_key) as resp:
        assert (await resp.json())["retCode"] == 10003
    stale = signed_headers(ep, query, ts_ms=time.time_ns() // 1_000_000 - 60_000)
    async with http.get(url, headers=stale) as resp:
        assert (await resp.json())["retCode"] == 10002
    ahead = signed_headers(ep, query, ts_ms=time.time_ns() // 1_000_000 + 5_000)
    async with http.get(url, headers=ahead) as resp:
        assert (await resp.json())["retCode"] == 10002
    bad = {**signed_headers(ep, query), "X-BAPI-SIGN": "0" * 64}
    async with http.get(url, headers=bad) as resp:
        assert (await resp.json())["retCode"] == 10004
    async with http.get(url, headers=signed_headers(ep, query)) as resp:
        good = await resp.json()
    assert good["retCode"] == 0 and good["retMsg"] == "OK"
    assert set(good) == {"retCode", "retMsg", "result", "retExtInfo", "time"}


async def test_post_signs_the_exact_body(sim: RunningSim, http: aiohttp.ClientSession) -> None:
    ep = sim.endpoints[B]
    body = json.dumps(market_order("0.001"))
    headers = signed_headers(ep, body + " ")  # signed bytes differ from the sent body
    async with http.post(f"{ep.rest_url}/v5/order/create", data=body, headers=headers) as resp:
        assert (await resp.json())["retCode"] == 10004
    assert sim.exchange(B).orders == {}


async def test_market_order_fills_and_shows_everywhere(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    ep = sim.endpoints[B]
    ack = await private_post(http, ep, "/v5/order/create", market_order("0.010", link_id="t-1"))
    assert ack["retCode"] == 0
    order_id = ack["result"]["orderId"]
    assert ack["result"] == {"orderId": order_id, "orderLinkId": "t-1"}
    got = await private_get(http, ep, "/v5/order/realtime", category="linear", orderLinkId="t-1")
    order = got["result"]["list"][0]
    assert order["orderStatus"] == "Filled" and order["cumExecQty"] == "0.010"
    assert order["leavesQty"] == "0" and order["positionIdx"] == 0
    fills = await private_get(http, ep, "/v5/execution/list", category="linear", orderId=order_id)
    execs = fills["result"]["list"]
    assert sum(D(e["execQty"]) for e in execs) == D("0.010")
    assert D(order["cumExecFee"]) == sum(D(e["execFee"]) for e in execs)
    pos = await private_get(http, ep, "/v5/position/list", category="linear", symbol="BTCUSDT")
    row = pos["result"]["list"][0]
    assert row["side"] == "Buy" and row["size"] == "0.010"
    truth = sim.exchange(B).positions(sim.account_id(B), "BTCUSDT")[0]
    assert D(row["avgPrice"]) == truth.entry_price.quantize(D("0.00000001"))
    wallet = await private_get(http, ep, "/v5/account/wallet-balance", accountType="UNIFIED")
    coin = wallet["result"]["list"][0]["coin"][0]
    balance = sim.exchange(B).accounts[sim.account_id(B)].balance_usdt
    assert coin["coin"] == "USDT" and D(coin["walletBalance"]) == balance.quantize(D("1e-8"))


async def test_error_codes(sim: RunningSim, http: aiohttp.ClientSession) -> None:
    ep = sim.endpoints[B]

    async def create(body: dict[str, object]) -> int:
        return int((await private_post(http, ep, "/v5/order/create", body))["retCode"])

    assert await create(market_order("50")) == 110007  # 3.25M USDT notional on 100k
    assert await create(market_order("0.001", side="Sell", reduceOnly=True)) == 110017
    assert await create(market_order("0.001", link_id="dup")) == 0
    assert await create(market_order("0.001", link_id="dup")) == 110072
    assert await create(market_order("0.0015")) == 10001
    assert await create(market_order("0.001", positionIdx=1)) == 10001
    assert await create({**market_order("0.001"), "symbol": "NOPEUSDT"}) == 10001
    lev = {"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "7", "sellLeverage": "7"}
    assert (await private_post(http, ep, "/v5/position/set-leverage", lev))["retCode"] == 0
    again = await private_post(http, ep, "/v5/position/set-leverage", lev)
    assert (again["retCode"], again["retMsg"]) == (110043, "Set leverage not modified")
    cancel = {"category": "linear", "symbol": "BTCUSDT", "orderLinkId": "never"}
    assert (await private_post(http, ep, "/v5/order/cancel", cancel))["retCode"] == 110001
    mode = {"category": "linear", "coin": "USDT", "mode": 0}
    assert (await private_post(http, ep, "/v5/position/switch-mode", mode))["retCode"] == 110025
    hedge = {"category": "linear", "coin": "USDT", "mode": 3}
    assert (await private_post(http, ep, "/v5/position/switch-mode", hedge))["retCode"] == 110024
    iso = {"category": "linear", "symbol": "ETHUSDT", "tradeMode": 1,
           "buyLeverage": "5", "sellLeverage": "5"}  # fmt: skip
    assert (await private_post(http, ep, "/v5/position/switch-isolated", iso))["retCode"] == 0
    assert (await private_post(http, ep, "/v5/position/switch-isolated", iso))["retCode"] == 110026


async def test_limit_order_rests_and_cancels(sim: RunningSim, http: aiohttp.ClientSession) -> None:
    ep = sim.endpoints[B]
    body = {
        "category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
        "qty": "0.002", "price": "60000.0", "timeInForce": "GTC", "orderLinkId": "rest-1",
    }  # fmt: skip
    assert (await private_post(http, ep, "/v5/order/create", body))["retCode"] == 0
    open_orders = await private_get(http, ep, "/v5/order/realtime", category="linear",
                                    symbol="BTCUSDT")  # fmt: skip
    assert [o["orderLinkId"] for o in open_orders["result"]["list"]] == ["rest-1"]
    assert open_orders["result"]["list"][0]["orderStatus"] == "New"
    cancel = {"category": "linear", "symbol": "BTCUSDT", "orderLinkId": "rest-1"}
    assert (await private_post(http, ep, "/v5/order/cancel", cancel))["retCode"] == 0
    history = await private_get(http, ep, "/v5/order/history", category="linear")
    assert history["result"]["list"][0]["orderStatus"] == "Cancelled"
    assert history["result"]["list"][0]["cancelType"] == "CancelByUser"


async def test_public_market_data(sim: RunningSim, http: aiohttp.ClientSession) -> None:
    ep = sim.endpoints[B]
    info = await public_get(http, ep, "/v5/market/instruments-info", category="linear")
    symbols = [i["symbol"] for i in info["result"]["list"]]
    assert symbols == ["BTCUSDT", "ETHUSDT"]
    btc = info["result"]["list"][0]
    assert btc["lotSizeFilter"]["qtyStep"] == "0.001" and btc["priceFilter"]["tickSize"] == "0.1"
    assert btc["fundingInterval"] == 480
    spot = await public_get(http, ep, "/v5/market/instruments-info", category="spot")
    assert spot["result"]["list"] == []
    book = await public_get(http, ep, "/v5/market/orderbook", category="linear",
                            symbol="BTCUSDT", limit=5)  # fmt: skip
    result = book["result"]
    assert len(result["b"]) == 5 and len(result["a"]) == 5
    assert D(result["b"][0][0]) < D(result["a"][0][0])
    assert [D(p) for p, _ in result["b"]] == sorted((D(p) for p, _ in result["b"]), reverse=True)
    ticker = await public_get(http, ep, "/v5/market/tickers", category="linear", symbol="BTCUSDT")
    row = ticker["result"]["list"][0]
    assert D(row["bid1Price"]) < D(row["ask1Price"]) and row["fundingRate"]
    sim.exchange(B).settle_funding("BTCUSDT", D("0.0002"))
    funding = await public_get(http, ep, "/v5/market/funding/history", category="linear",
                               symbol="BTCUSDT")  # fmt: skip
    assert funding["result"]["list"][0]["fundingRate"] == "0.0002"
    fees = await private_get(http, ep, "/v5/account/fee-rate", category="linear", symbol="BTCUSDT")
    assert fees["result"]["list"][0]["takerFeeRate"] == "0.00055"
