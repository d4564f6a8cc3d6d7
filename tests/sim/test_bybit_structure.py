"""Bybit REST responses of the simulator have the keys and value types of real recorded ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import aiohttp
import pytest
from tests.sim.bybit_client import SMALL_SIM, market_order, private_get, private_post, public_get
from tests.sim.shapes import assert_same_shape, load_fixture

from arbcore.core.enums import Venue
from arbcore.sim.testing import running_sim

B = Venue.BYBIT


@pytest.fixture
async def responses() -> AsyncIterator[dict[str, Any]]:
    """One simulator answer per endpoint after a little trading (position, resting order,
    funding), keyed like the fixture files that hold the recorded counterparts."""
    async with running_sim([B], seed=5, config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[B]
        out: dict[str, Any] = {}
        await private_post(http, ep, "/v5/order/create", market_order("0.010", link_id="s-1"))
        limit = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
                 "qty": "0.001", "price": "60000.0", "orderLinkId": "s-2"}  # fmt: skip
        await private_post(http, ep, "/v5/order/create", limit)
        sim.exchange(B).settle_funding("BTCUSDT", D("0.0001"))
        out["time"] = await public_get(http, ep, "/v5/market/time")
        out["instruments"] = await public_get(
            http, ep, "/v5/market/instruments-info", category="linear", symbol="BTCUSDT"
        )
        out["tickers"] = await public_get(
            http, ep, "/v5/market/tickers", category="linear", symbol="BTCUSDT"
        )
        out["orderbook"] = await public_get(
            http, ep, "/v5/market/orderbook", category="linear", symbol="BTCUSDT", limit=2
        )
        out["order_create"] = await private_post(
            http, ep, "/v5/order/create", market_order("0.001", "Sell", "s-3", reduceOnly=True)
        )
        out["order_realtime_filled"] = await private_get(
            http, ep, "/v5/order/realtime", category="linear", orderLinkId="s-1"
        )
        out["order_realtime_new"] = await private_get(
            http, ep, "/v5/order/realtime", category="linear", symbol="BTCUSDT"
        )
        out["order_history"] = await private_get(
            http, ep, "/v5/order/history", category="linear", symbol="BTCUSDT"
        )
        out["execution_trade"] = await private_get(
            http, ep, "/v5/execution/list", category="linear", execType="Trade"
        )
        out["execution_funding"] = await private_get(
            http, ep, "/v5/execution/list", category="linear", execType="Funding"
        )
        out["position_long"] = await private_get(
            http, ep, "/v5/position/list", category="linear", symbol="BTCUSDT"
        )
        out["position_flat"] = await private_get(
            http, ep, "/v5/position/list", category="linear", symbol="ETHUSDT"
        )
        out["wallet"] = await private_get(
            http, ep, "/v5/account/wallet-balance", accountType="UNIFIED"
        )
        lev = {"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "10", "sellLeverage": "10"}
        out["set_leverage"] = await private_post(http, ep, "/v5/position/set-leverage", lev)
        yield out


CASES = [
    ("time", "time__sheet", True),
    ("instruments", "instruments__sheet_btcusdt", True),
    ("tickers", "tickers__sheet_linear", True),
    ("tickers", "tickers__ccxt_linear_ticker", False),
    ("orderbook", "orderbook__sheet_linear", True),
    ("orderbook", "orderbook__ccxt_linear", False),
    ("order_create", "order_create__sheet_market_reduce_only", True),
    ("order_realtime_filled", "order_realtime__sheet_filled", True),
    ("order_realtime_new", "order_realtime__ccxt_linear_new", False),
    ("order_history", "order_history__ccxt_linear_filled", False),
    ("execution_trade", "execution_list__ccxt_linear_trade", False),
    ("execution_funding", "execution_list__ccxt_linear_funding", False),
    ("position_long", "position_list__sheet_long", True),
    ("position_long", "position_list__ccxt_linear_long", False),
    ("position_flat", "position_list__ccxt_linear_flat", False),
    ("wallet", "wallet_balance__sheet_unified", True),
    ("wallet", "wallet_balance__ccxt_unified", False),
    ("set_leverage", "set_leverage__sheet_not_modified", True),
]


async def test_rest_responses_match_recorded_structure(responses: dict[str, Any]) -> None:
    failures = []
    for key, fixture, strict in CASES:
        sim_payload = responses[key]
        assert sim_payload["result"] or fixture.startswith("set_leverage"), key
        try:
            assert_same_shape(sim_payload, load_fixture("bybit", "rest", fixture), strict)
        except AssertionError as exc:
            failures.append(f"{fixture}:\n{exc}")
    assert not failures, "\n\n".join(failures)


async def test_scenario_values_are_the_expected_ones(responses: dict[str, Any]) -> None:
    assert responses["order_realtime_new"]["result"]["list"][0]["orderStatus"] == "New"
    assert responses["order_realtime_filled"]["result"]["list"][0]["orderStatus"] == "Filled"
    assert responses["position_long"]["result"]["list"][0]["side"] == "Buy"
    assert responses["position_flat"]["result"]["list"][0]["side"] == ""
    assert responses["execution_funding"]["result"]["list"][0]["execType"] == "Funding"
    assert responses["set_leverage"]["retCode"] == 110043


def test_the_comparison_catches_missing_keys_and_wrong_types() -> None:
    ref = load_fixture("bybit", "rest", "position_list__sheet_long")
    good = {**ref, "result": {**ref["result"], "list": [dict(ref["result"]["list"][0])]}}
    assert_same_shape(good, ref, strict=True)
    missing = {**good, "result": {**good["result"], "list": [dict(good["result"]["list"][0])]}}
    del missing["result"]["list"][0]["avgPrice"]
    with pytest.raises(AssertionError, match="avgPrice"):
        assert_same_shape(missing, ref, strict=True)
    retyped = {**good, "result": {**good["result"], "list": [dict(good["result"]["list"][0])]}}
    retyped["result"]["list"][0]["positionIdx"] = "0"
    with pytest.raises(AssertionError, match="positionIdx"):
        assert_same_shape(retyped, ref, strict=True)
    assert_same_shape(retyped, ref, strict=False)
