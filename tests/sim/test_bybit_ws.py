"""Bybit WebSockets over real sockets: book snapshot/delta and u, tickers, pings, private topics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import aiohttp
import pytest
from tests.sim.bybit_client import (
    SMALL_SIM,
    market_order,
    private_post,
    private_ws,
    recv_json,
    recv_until,
    sign,
)
from tests.sim.shapes import assert_same_shape, load_fixture

from arbcore.core.enums import Venue
from arbcore.sim.testing import RunningSim, running_sim

B = Venue.BYBIT


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    async with running_sim([B], seed=21, config=SMALL_SIM) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def apply_levels(side: dict[D, D], levels: list[list[str]]) -> None:
    for price, qty in levels:
        if D(qty) == 0:
            side.pop(D(price), None)
        else:
            side[D(price)] = D(qty)


async def drain(ws: aiohttp.ClientWebSocketResponse, quiet_s: float = 0.4) -> list[Any]:
    """Frames until the socket has been quiet for `quiet_s`."""
    frames = []
    while True:
        try:
            frames.append(await recv_json(ws, quiet_s))
        except TimeoutError:
            return frames


async def test_book_stream_snapshot_then_consecutive_deltas_rebuild_the_book(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    ep = sim.endpoints[B]
    async with http.ws_connect(ep.ws_public_url) as ws:
        await ws.send_json({"req_id": "sub1", "op": "subscribe", "args": ["orderbook.50.BTCUSDT"]})
        ack = await recv_json(ws)
        assert_same_shape(ack, load_fixture("bybit", "ws", "subscribe__sheet_ack"), strict=True)
        assert ack["req_id"] == "sub1"
        snapshot = await recv_json(ws)
        assert snapshot["type"] == "snapshot" and len(snapshot["data"]["b"]) == 50
        assert_same_shape(
            snapshot, load_fixture("bybit", "ws", "orderbook__sheet_snapshot"), strict=True
        )
        bids: dict[D, D] = {}
        asks: dict[D, D] = {}
        apply_levels(bids, snapshot["data"]["b"])
        apply_levels(asks, snapshot["data"]["a"])
        last_u = snapshot["data"]["u"]
        await private_post(http, ep, "/v5/order/create", market_order("3.000"))  # walks asks
        deltas = 0
        while deltas < 15:
            frame = await recv_json(ws)
            assert frame["type"] == "delta"
            assert frame["data"]["u"] == last_u + 1
            last_u = frame["data"]["u"]
            apply_levels(bids, frame["data"]["b"])
            apply_levels(asks, frame["data"]["a"])
            deltas += 1
        assert_same_shape(frame, load_fixture("bybit", "ws", "orderbook__sheet_delta"), strict=True)
        sim.pause_market()
        for frame in await drain(ws):
            assert frame["data"]["u"] == last_u + 1
            last_u = frame["data"]["u"]
            apply_levels(bids, frame["data"]["b"])
            apply_levels(asks, frame["data"]["a"])
        book = sim.exchange(B).books["BTCUSDT"]
        truth_bids, truth_asks = book.top(50)
        assert bids == {book.price(t): book.qty(q) for t, q in truth_bids}
        assert asks == {book.price(t): book.qty(q) for t, q in truth_asks}
        assert max(bids) < min(asks)


async def test_subscribe_errors_tickers_and_depth_one(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    ep = sim.endpoints[B]
    async with http.ws_connect(ep.ws_public_url) as ws:
        await ws.send_json({"req_id": "x", "op": "subscribe", "args": ["orderbook.51.BTCUSDT"]})
        failure = await recv_json(ws)
        assert failure["success"] is False
        assert failure["ret_msg"] == "error:handler not found,topic:orderbook.51.BTCUSDT"
        await ws.send_json({"op": "subscribe", "args": ["tickers.BTCUSDT", "orderbook.1.ETHUSDT"]})
        assert (await recv_json(ws))["success"] is True
        ticker = await recv_until(ws, "topic", "tickers.BTCUSDT")
        assert ticker["type"] == "snapshot" and D(ticker["data"]["bid1Price"]) > 0
        depth1 = [await recv_until(ws, "topic", "orderbook.1.ETHUSDT") for _ in range(3)]
        assert {f["type"] for f in depth1} == {"snapshot"}
        assert all(len(f["data"]["b"]) == 1 for f in depth1)
        delta = await recv_until(ws, "type", "delta")
        assert delta["topic"] == "tickers.BTCUSDT" and delta["data"]["symbol"] == "BTCUSDT"
        recorded = load_fixture("bybit", "ws", "tickers__sheet_delta")
        assert_same_shape({**delta, "data": {}}, {**recorded, "data": {}}, strict=True)
        assert set(recorded["data"]) <= set(ticker["data"])  # the snapshot has every field
        assert set(delta["data"]) <= set(ticker["data"])  # a delta only carries changes
        await ws.send_json({"op": "subscribe", "args": ["orderbook.50.ETHUSDT", "tickers.BTCUSDT"]})
        again = await recv_until(ws, "op", "subscribe")
        assert again["success"] is False
        assert again["ret_msg"] == "error:already subscribed,topic:tickers.BTCUSDT"
        with pytest.raises(TimeoutError):  # the refused batch subscribed nothing
            await recv_until(ws, "topic", "orderbook.50.ETHUSDT", timeout_s=1.0)


async def test_server_restart_resends_snapshot_with_u_1(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    ep = sim.endpoints[B]
    async with http.ws_connect(ep.ws_public_url) as ws:
        await ws.send_json({"op": "subscribe", "args": ["orderbook.200.BTCUSDT"]})
        await recv_json(ws)
        first = await recv_json(ws)
        await recv_until(ws, "type", "delta")
        front = sim.cluster.servers[B].front_end
        front.ws.restart_books()  # type: ignore[attr-defined]
        resent = await recv_until(ws, "type", "snapshot")
        assert resent["data"]["u"] == 1 and first["data"]["u"] >= 1
        assert len(resent["data"]["b"]) == 60  # the whole (60-level) book fits in depth 200


async def test_pings_on_both_sockets(sim: RunningSim, http: aiohttp.ClientSession) -> None:
    ep = sim.endpoints[B]
    async with http.ws_connect(ep.ws_public_url) as ws:
        await ws.send_json({"req_id": "p1", "op": "ping"})
        pong = await recv_json(ws)
        assert_same_shape(pong, load_fixture("bybit", "ws", "pong__sheet_public"), strict=True)
        assert pong["ret_msg"] == "pong" and pong["op"] == "ping"
    ws = await private_ws(http, ep, ["order"])
    await ws.send_json({"req_id": "p1", "op": "ping"})
    pong = await recv_json(ws)
    assert_same_shape(pong, load_fixture("bybit", "ws", "pong__sheet_private"), strict=True)
    assert pong["op"] == "pong"
    await ws.close()


async def test_private_auth_failures(sim: RunningSim, http: aiohttp.ClientSession) -> None:
    ep = sim.endpoints[B]
    async with http.ws_connect(ep.ws_private_url) as ws:
        await ws.send_json({"op": "subscribe", "args": ["order"]})
        assert (await recv_json(ws))["ret_msg"] == "Request not authorized"
        expires = time.time_ns() // 1_000_000 + 10_000
        await ws.send_json({"op": "auth", "args": [ep.api_key, expires, "0" * 64]})
        failure = await recv_json(ws)
        assert_same_shape(failure, load_fixture("bybit", "ws", "auth__sheet_failure"), strict=True)
        assert failure["success"] is False
        past = time.time_ns() // 1_000_000 - 1
        good_sign = sign(ep.secret, f"GET/realtime{past}")
        await ws.send_json({"op": "auth", "args": [ep.api_key, past, good_sign]})
        assert (await recv_json(ws))["success"] is False


async def test_private_topics_follow_a_fill(sim: RunningSim, http: aiohttp.ClientSession) -> None:
    ep = sim.endpoints[B]
    ws = await private_ws(http, ep, ["order.linear", "execution", "position", "wallet"])
    await private_post(http, ep, "/v5/order/create", market_order("0.005", link_id="ws-1"))
    frames: dict[str, Any] = {}
    async with asyncio.timeout(5):
        while len(frames) < 4:
            frame = await recv_json(ws)
            frames.setdefault(frame["topic"], frame)
    order = frames["order.linear"]["data"][0]
    assert order["orderLinkId"] == "ws-1" and order["orderStatus"] == "Filled"
    assert order["category"] == "linear"
    checks = {
        "order.linear": "order__sheet_filled",
        "execution": "execution__sheet_trade",
        "position": "position__sheet_short",
        "wallet": "wallet__sheet_unified",
    }
    for topic, fixture in checks.items():
        assert_same_shape(frames[topic], load_fixture("bybit", "ws", fixture), strict=True)
    assert frames["position"]["data"][0]["size"] == "0.005"
    assert frames["execution"]["data"][0]["execType"] == "Trade"
    await ws.close()


async def test_idle_socket_is_closed_by_the_server(http: aiohttp.ClientSession) -> None:
    config = SMALL_SIM.model_copy(update={"ws_idle_timeout_s": 0.5})
    async with (
        running_sim([B], config=config) as sim,
        http.ws_connect(sim.endpoints[B].ws_public_url) as ws,
    ):
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
