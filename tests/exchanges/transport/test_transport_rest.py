"""HTTP session against a local aiohttp server: statuses and failures map to core errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from arbcore.core.errors import (
    NetworkError,
    OrderOutcomeUnknown,
    RateLimited,
    TransientError,
)
from arbcore.exchanges.transport.rest import RestSession


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(1)
    return web.json_response({"ok": True})


async def _drop(request: web.Request) -> web.StreamResponse:
    await request.read()
    transport = request.transport
    assert transport is not None
    transport.close()  # connection dropped after the request arrived
    return web.Response()


async def _status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    return web.Response(status=code, text=f"status {code}", headers={"Retry-After": "3"})


async def _echo(request: web.Request) -> web.Response:
    return web.json_response({"echo": request.query_string})


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/ok", _echo)
    app.router.add_get("/s/{code}", _status)
    app.router.add_post("/s/{code}", _status)
    app.router.add_post("/slow", _slow)
    app.router.add_post("/drop", _drop)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.shutdown()
    await runner.cleanup()


@pytest.fixture
async def session(server: str) -> AsyncIterator[RestSession]:
    rest = RestSession("test", server, timeout_s=0.5, prewarm_connections=3, prewarm_path="/ok")
    await rest.start()
    yield rest
    await rest.close()


async def test_prewarm_opens_connections_and_query_is_sent_verbatim(session: RestSession) -> None:
    assert session.stats.connections_opened >= 2
    resp = await session.request("GET", "/ok", query="category=linear&symbol=BTCUSDT")
    assert resp.status == 200 and b"category=linear&symbol=BTCUSDT" in resp.body
    assert resp.recv_ns > resp.sent_ns


async def test_429_is_rate_limited_with_retry_after(session: RestSession) -> None:
    with pytest.raises(RateLimited) as info:
        await session.request("GET", "/s/429")
    assert info.value.retry_after_s == 3.0


async def test_5xx_is_transient_but_unknown_on_order_endpoint(session: RestSession) -> None:
    with pytest.raises(TransientError) as info:
        await session.request("GET", "/s/503")
    assert not isinstance(info.value, RateLimited) and info.value.retryable
    with pytest.raises(TransientError):
        await session.request("POST", "/s/503", body="{}", order_client_id="c1")
    with pytest.raises(OrderOutcomeUnknown) as unknown:
        await session.request("POST", "/s/502", body="{}", order_client_id="c1")
    assert unknown.value.client_id == "c1"


async def test_other_statuses_are_returned_for_the_venue(session: RestSession) -> None:
    resp = await session.request("GET", "/s/400")
    assert resp.status == 400 and resp.body == b"status 400"


async def test_timeout_after_sending_order_is_unknown_outcome(session: RestSession) -> None:
    with pytest.raises(OrderOutcomeUnknown) as info:
        await session.request("POST", "/slow", body="{}", order_client_id="arb-9")
    assert info.value.client_id == "arb-9" and not info.value.retryable


async def test_timeout_after_sending_query_is_transient(session: RestSession) -> None:
    with pytest.raises(TransientError) as info:
        await session.request("POST", "/slow", body="{}")
    assert not isinstance(info.value, OrderOutcomeUnknown)


async def test_dropped_connection_after_sending_order_is_unknown(session: RestSession) -> None:
    with pytest.raises(OrderOutcomeUnknown):
        await session.request("POST", "/drop", body="{}", order_client_id="arb-10")


async def test_connect_refused_is_network_error_even_for_orders() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    rest = RestSession("test", f"http://127.0.0.1:{port}", timeout_s=0.5)
    await rest.start()
    try:
        with pytest.raises(NetworkError) as info:
            await rest.request("POST", "/order", body="{}", order_client_id="arb-11")
        assert not isinstance(info.value, OrderOutcomeUnknown)
    finally:
        await rest.close()
