"""Test-side Bybit v5 pieces: signed REST calls, WS helpers, a small simulator config."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

from arbcore.sim.config import SimConfig
from arbcore.sim.testing import VenueEndpoints

SMALL_SIM = SimConfig(coins=("BTC", "ETH"), book_depth=60, updates_per_s=20.0)


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def signed_headers(
    ep: VenueEndpoints, payload: str, ts_ms: int | None = None, recv_window: str = "5000"
) -> dict[str, str]:
    ts = str(ts_ms if ts_ms is not None else time.time_ns() // 1_000_000)
    return {
        "X-BAPI-API-KEY": ep.api_key,
        "X-BAPI-TIMESTAMP": ts,
        "X-BAPI-RECV-WINDOW": recv_window,
        "X-BAPI-SIGN": sign(ep.secret, f"{ts}{ep.api_key}{recv_window}{payload}"),
        "Content-Type": "application/json",
    }


async def public_get(
    http: aiohttp.ClientSession, ep: VenueEndpoints, path: str, **params: Any
) -> dict[str, Any]:
    async with http.get(f"{ep.rest_url}{path}", params=params) as resp:
        assert resp.status == 200
        result: dict[str, Any] = await resp.json()
        return result


async def private_get(
    http: aiohttp.ClientSession, ep: VenueEndpoints, path: str, **params: Any
) -> dict[str, Any]:
    query = urlencode(params)
    async with http.get(f"{ep.rest_url}{path}?{query}", headers=signed_headers(ep, query)) as resp:
        assert resp.status == 200
        result: dict[str, Any] = await resp.json()
        return result


async def private_post(
    http: aiohttp.ClientSession, ep: VenueEndpoints, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    text = json.dumps(body)
    async with http.post(
        f"{ep.rest_url}{path}", data=text, headers=signed_headers(ep, text)
    ) as resp:
        assert resp.status == 200
        result: dict[str, Any] = await resp.json()
        return result


def market_order(qty: str, side: str = "Buy", link_id: str = "", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"category": "linear", "symbol": "BTCUSDT", "side": side,
                            "orderType": "Market", "qty": qty, **extra}  # fmt: skip
    if link_id:
        body["orderLinkId"] = link_id
    return body


async def recv_json(ws: aiohttp.ClientWebSocketResponse, timeout_s: float = 5.0) -> Any:
    msg = await ws.receive(timeout=timeout_s)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def recv_until(
    ws: aiohttp.ClientWebSocketResponse, key: str, value: Any, timeout_s: float = 5.0
) -> dict[str, Any]:
    """Next frame whose `key` equals `value` (other frames are skipped)."""
    async with asyncio.timeout(timeout_s):
        while True:
            frame = await recv_json(ws, timeout_s)
            if isinstance(frame, dict) and frame.get(key) == value:
                return frame


async def private_ws(
    http: aiohttp.ClientSession, ep: VenueEndpoints, topics: list[str]
) -> aiohttp.ClientWebSocketResponse:
    """An authenticated private socket subscribed to `topics` (acks consumed)."""
    ws = await http.ws_connect(ep.ws_private_url)
    expires = time.time_ns() // 1_000_000 + 10_000
    await ws.send_json(
        {"op": "auth", "args": [ep.api_key, expires, sign(ep.secret, f"GET/realtime{expires}")]}
    )
    auth = await recv_json(ws)
    assert auth["success"] is True, auth
    await ws.send_json({"op": "subscribe", "args": topics})
    ack = await recv_json(ws)
    assert ack["success"] is True, ack
    return ws
