"""Every fault type, armed from Python or over HTTP, and its effect on the Bybit wire."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from tests.sim.bybit_client import (
    SMALL_SIM,
    market_order,
    private_get,
    private_post,
    recv_json,
    recv_until,
    signed_headers,
)

from arbcore.core.enums import OrderStatus, Venue
from arbcore.sim.events import RejectReason
from arbcore.sim.faults import FaultKind
from arbcore.sim.testing import RunningSim, running_sim

B = Venue.BYBIT


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    async with running_sim([B], seed=31, config=SMALL_SIM) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _book_socket(
    http: aiohttp.ClientSession, sim: RunningSim
) -> tuple[aiohttp.ClientWebSocketResponse, int]:
    ws = await http.ws_connect(sim.endpoints[B].ws_public_url)
    await ws.send_json({"op": "subscribe", "args": ["orderbook.50.BTCUSDT"]})
    await recv_json(ws)
    snapshot = await recv_json(ws)
    return ws, int(snapshot["data"]["u"])


async def test_drop_ws_closes_sockets_without_handshake(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    ws, _ = await _book_socket(http, sim)
    sim.faults(B).drop_ws()
    async with asyncio.timeout(5):
        while True:
            msg = await ws.receive()
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
    assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE)
    assert sim.faults(B).applied[FaultKind.DROP_WS] == 1


async def test_stall_holds_frames_then_delivers_them_in_order(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    ws, last_u = await _book_socket(http, sim)
    sim.faults(B).stall_ws(1.5)
    with pytest.raises(TimeoutError):
        await recv_json(ws, timeout_s=0.8)  # connected, but silent
    for _ in range(5):
        frame = await recv_json(ws, timeout_s=3)
        assert frame["data"]["u"] == last_u + 1
        last_u = frame["data"]["u"]
    assert sim.faults(B).applied[FaultKind.STALL_WS] >= 1
    await ws.close()


async def test_skip_sequence_loses_a_delta(sim: RunningSim, http: aiohttp.ClientSession) -> None:
    ws, last_u = await _book_socket(http, sim)
    first = await recv_json(ws)
    assert first["data"]["u"] == last_u + 1
    sim.faults(B).skip_sequence(1)
    second = await recv_json(ws)
    assert second["data"]["u"] == first["data"]["u"] + 2
    third = await recv_json(ws)
    assert third["data"]["u"] == second["data"]["u"] + 1
    await ws.close()


def test_corrupt_checksum_is_refused_for_a_venue_without_checksums(sim: RunningSim) -> None:
    with pytest.raises(ValueError, match="no checksum"):
        sim.faults(B).corrupt_checksum(1)


async def test_reject_next_orders_answers_the_venue_code(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    ep = sim.endpoints[B]
    sim.faults(B).reject_next_orders(2, RejectReason.INSUFFICIENT_MARGIN)
    codes = [
        (await private_post(http, ep, "/v5/order/create", market_order("0.001")))["retCode"]
        for _ in range(3)
    ]
    assert codes == [110007, 110007, 0]


async def test_rate_limit_next_answers_10006(sim: RunningSim, http: aiohttp.ClientSession) -> None:
    ep = sim.endpoints[B]
    sim.faults(B).rate_limit_next(1)
    limited = await private_get(http, ep, "/v5/position/list", category="linear", symbol="BTCUSDT")
    assert (limited["retCode"], limited["retMsg"]) == (10006, "Too many visits!")
    after = await private_get(http, ep, "/v5/position/list", category="linear", symbol="BTCUSDT")
    assert after["retCode"] == 0


async def test_delay_responses_holds_the_answer(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    ep = sim.endpoints[B]
    sim.faults(B).delay_responses(400, 1)
    started = time.monotonic()
    async with http.get(f"{ep.rest_url}/v5/market/time") as resp:
        await resp.json()
    assert time.monotonic() - started >= 0.4
    assert sim.faults(B).applied[FaultKind.DELAY_RESPONSES] == 1


async def test_partial_fill_next(sim: RunningSim, http: aiohttp.ClientSession) -> None:
    ep = sim.endpoints[B]
    sim.faults(B).partial_fill_next(1, 0.5)
    await private_post(http, ep, "/v5/order/create", market_order("0.010", link_id="pf-1"))
    got = await private_get(http, ep, "/v5/order/realtime", category="linear", orderLinkId="pf-1")
    order = got["result"]["list"][0]
    assert (order["orderStatus"], order["cumExecQty"]) == ("Cancelled", "0.005")


async def test_execute_then_timeout_executes_but_never_answers(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    ep = sim.endpoints[B]
    sim.faults(B).execute_then_timeout_next(1)
    body = json.dumps(market_order("0.002", link_id="ett-1"))
    with pytest.raises(aiohttp.ClientError):
        async with http.post(
            f"{ep.rest_url}/v5/order/create", data=body, headers=signed_headers(ep, body)
        ) as resp:
            await resp.read()
    order = sim.exchange(B).find_order(sim.account_id(B), client_id="ett-1")
    assert order.status is OrderStatus.FILLED
    got = await private_get(http, ep, "/v5/order/realtime", category="linear", orderLinkId="ett-1")
    assert got["result"]["list"][0]["orderStatus"] == "Filled"


async def test_refuse_connections_then_recover(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    ep = sim.endpoints[B]
    ws, _ = await _book_socket(http, sim)
    sim.faults(B).refuse_connections(1.0)
    await asyncio.sleep(0.2)
    with pytest.raises(aiohttp.ClientConnectorError):
        async with aiohttp.ClientSession() as fresh, fresh.get(f"{ep.rest_url}/v5/market/time"):
            pass
    async with asyncio.timeout(5):
        while (msg := await ws.receive()).type is aiohttp.WSMsgType.TEXT:
            pass  # frames queued before the drop
    assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE)
    await asyncio.sleep(1.2)
    async with (
        aiohttp.ClientSession() as fresh,
        fresh.get(f"{ep.rest_url}/v5/market/time") as resp,
    ):
        assert (await resp.json())["retCode"] == 0
    assert sim.faults(B).applied[FaultKind.REFUSE_CONNECTIONS] == 1


async def test_faults_over_http_control_endpoint(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    ep = sim.endpoints[B]
    url = f"{ep.rest_url}/__sim/faults"
    spec = {"fault": "reject_next_orders", "n": 1, "reason": "duplicate_client_id"}
    async with http.post(url, json=spec) as resp:
        assert (await resp.json())["ok"] is True
    rejected = await private_post(http, ep, "/v5/order/create", market_order("0.001"))
    assert rejected["retCode"] == 110072
    async with http.post(url, json={"fault": "no_such_fault"}) as resp:
        assert resp.status == 400
    async with http.get(url) as resp:
        report = await resp.json()
    assert report["counters"]["armed"]["reject_next_orders"] == 1
    assert report["counters"]["applied"]["reject_next_orders"] == 1
    assert [r["event"] for r in report["log"]] == ["armed", "applied"]
    ws, _ = await _book_socket(http, sim)
    await recv_until(ws, "type", "delta")
    async with http.post(url, json={"fault": "drop_ws"}) as resp:
        assert (await resp.json())["counters"]["applied"]["drop_ws"] == 1
