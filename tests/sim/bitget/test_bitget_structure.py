"""The simulator's Bitget REST responses and WS frames have the real payloads' keys and types."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
from tests.sim.bitget.client import (
    PRODUCT,
    SMALL_SIM,
    VENUE,
    get,
    market_order,
    next_json,
    next_push,
    post,
    ws_login_args,
)

from arbcore.sim.testing import running_sim

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bitget"
Q = f"productType={PRODUCT}"
QS = f"symbol=BTCUSDT&{Q}"


def reference(kind: str, name: str) -> Any:
    return json.loads((FIXTURES / kind / f"sim_ref__{name}.json").read_text())


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_same_shape(ref: Any, got: Any, path: str = "$") -> None:
    """Every key of the real payload exists in ours with the same JSON type (recursively;
    lists compare their first elements; a real `null` accepts null or a string)."""
    if path == "$.requestTime":
        assert isinstance(got, int), (path, got)
        return
    if ref is None:
        assert got is None or isinstance(got, str), (path, got)
        return
    assert _type(ref) == _type(got), f"{path}: real {_type(ref)}, sim {_type(got)} ({got!r})"
    if isinstance(ref, dict):
        missing = sorted(set(ref) - set(got))
        assert not missing, f"{path}: sim lacks {missing}"
        for key, value in ref.items():
            assert_same_shape(value, got[key], f"{path}.{key}")
    elif isinstance(ref, list) and ref:
        assert got, f"{path}: sim list is empty"
        assert_same_shape(ref[0], got[0], f"{path}[0]")


async def test_rest_responses_match_recorded_payloads() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        public = {
            "time": ("/api/v2/public/time", ""),
            "contracts": ("/api/v2/mix/market/contracts", Q),
            "merge_depth": ("/api/v2/mix/market/merge-depth", f"{QS}&limit=50"),
            "ticker": ("/api/v2/mix/market/ticker", QS),
            "current_fund_rate": ("/api/v2/mix/market/current-fund-rate", QS),
        }
        for name, (path, query) in public.items():
            status, body = await get(http, ep, path, query, signed=False)
            assert status == 200
            assert_same_shape(reference("rest", name), body)

        status, placed = await post(
            http, ep, "/api/v2/mix/order/place-order",
            market_order("BTCUSDT", "buy", "0.01", clientOid="shape1"),
        )  # fmt: skip
        assert status == 200
        assert_same_shape(reference("rest", "place_order"), placed)
        order_id = placed["data"]["orderId"]

        private = {
            "order_detail": ("/api/v2/mix/order/detail", f"orderId={order_id}&{QS}"),
            "orders_history": ("/api/v2/mix/order/orders-history", QS),
            "fills": ("/api/v2/mix/order/fills", QS),
            "all_position": ("/api/v2/mix/position/all-position", f"marginCoin=USDT&{Q}"),
            "accounts": ("/api/v2/mix/account/accounts", Q),
            "account": ("/api/v2/mix/account/account", f"marginCoin=USDT&{QS}"),
        }
        for name, (path, query) in private.items():
            status, body = await get(http, ep, path, query)
            assert status == 200, body
            assert_same_shape(reference("rest", name), body)

        resting = dict(market_order("BTCUSDT", "buy", "0.01"), orderType="limit",
                       price="1000.0", force="gtc")  # fmt: skip
        _, rest_ack = await post(http, ep, "/api/v2/mix/order/place-order", resting)
        _, pending = await get(http, ep, "/api/v2/mix/order/orders-pending", QS)
        assert_same_shape(reference("rest", "orders_history"), pending)
        assert pending["data"]["entrustedList"][0]["status"] == "live"
        _, cancelled = await post(
            http, ep, "/api/v2/mix/order/cancel-order",
            {"symbol": "BTCUSDT", "productType": PRODUCT, "marginCoin": "USDT",
             "orderId": rest_ack["data"]["orderId"]},
        )  # fmt: skip
        assert_same_shape(reference("rest", "cancel_order"), cancelled)


async def test_error_envelopes_match_recorded_errors() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        status, body = await post(
            http, ep, "/api/v2/mix/order/place-order", market_order("BTCUSDT", "buy", "500")
        )
        assert (status, body["code"]) == (400, "40762")
        assert_same_shape(reference("rest", "error_insufficient"), body)
        sim.faults(VENUE).rate_limit_next(1)
        status, body = await get(http, ep, "/api/v2/mix/market/ticker", QS, signed=False)
        assert (status, body["code"], body["msg"]) == (429, "429", "Too Many Requests")
        assert_same_shape(reference("rest", "error_rate_limit"), body)


async def test_ws_frames_match_documented_frames() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        books_arg = {"instType": PRODUCT, "channel": "books", "instId": "BTCUSDT"}
        async with http.ws_connect(ep.ws_public_url) as ws:
            await ws.send_str(json.dumps({"op": "subscribe", "args": [books_arg]}))
            assert_same_shape(reference("ws", "subscribe_ack"), await next_json(ws))
            snapshot = await next_push(ws, "books")
            assert snapshot["action"] == "snapshot"
            assert_same_shape(reference("ws", "books_snapshot"), snapshot)
            update = await next_push(ws, "books")
            assert update["action"] == "update"
            assert_same_shape(reference("ws", "books_update"), update)
            bad = dict(books_arg, instId="BTCUSD")
            await ws.send_str(json.dumps({"op": "subscribe", "args": [bad]}))
            error = await next_json(ws)
            while "action" in error:
                error = await next_json(ws)
            assert_same_shape(reference("ws", "subscribe_error"), error)
            assert error["code"] == 30001

        async with http.ws_connect(ep.ws_private_url) as ws:
            await ws.send_str(json.dumps(ws_login_args(ep)))
            assert_same_shape(reference("ws", "login"), await next_json(ws))
            orders_arg = {"instType": PRODUCT, "channel": "orders", "instId": "default"}
            await ws.send_str(json.dumps({"op": "subscribe", "args": [orders_arg]}))
            assert (await next_json(ws))["event"] == "subscribe"
            await post(http, ep, "/api/v2/mix/order/place-order",
                       market_order("BTCUSDT", "sell", "0.01", clientOid="wsshape"))  # fmt: skip
            push = await next_push(ws, "orders")
            assert_same_shape(reference("ws", "orders"), push)
            row = push["data"][0]
            assert (row["clientOid"], row["status"], row["accBaseVolume"]) == (
                "wsshape", "filled", "0.01",
            )  # fmt: skip
