"""Test-side Bitget client pieces: signed REST calls, WS helpers, a text book with its checksum."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import zlib
from typing import Any

import aiohttp

from arbcore.core.enums import Venue
from arbcore.sim.config import SimConfig
from arbcore.sim.testing import VenueEndpoints

PRODUCT = "USDT-FUTURES"
SMALL_SIM = SimConfig(coins=("BTC", "ETH"), book_depth=60, updates_per_s=20.0)


def signature(secret: str, prehash: str) -> str:
    mac = hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def signed_headers(
    ep: VenueEndpoints, method: str, path: str, query: str = "", body: str = "",
    ts_ms: int | None = None,
) -> dict[str, str]:  # fmt: skip
    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    prehash = f"{ts}{method}{path}{'?' + query if query else ''}{body}"
    return {
        "ACCESS-KEY": ep.api_key,
        "ACCESS-SIGN": signature(ep.secret, prehash),
        "ACCESS-TIMESTAMP": ts,
        "ACCESS-PASSPHRASE": ep.passphrase or "",
        "Content-Type": "application/json",
        "paptrading": "1",
    }


async def get(
    http: aiohttp.ClientSession, ep: VenueEndpoints, path: str, query: str = "",
    signed: bool = True,
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    headers = signed_headers(ep, "GET", path, query) if signed else {}
    url = f"{ep.rest_url}{path}{'?' + query if query else ''}"
    async with http.get(url, headers=headers) as resp:
        return resp.status, await resp.json()


async def post(
    http: aiohttp.ClientSession, ep: VenueEndpoints, path: str, payload: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    body = json.dumps(payload, separators=(",", ":"))
    headers = signed_headers(ep, "POST", path, "", body)
    async with http.post(f"{ep.rest_url}{path}", data=body, headers=headers) as resp:
        return resp.status, await resp.json()


def market_order(symbol: str, side: str, size: str, **extra: str) -> dict[str, str]:
    return {
        "symbol": symbol, "productType": PRODUCT, "marginMode": "crossed", "marginCoin": "USDT",
        "size": size, "side": side, "orderType": "market", **extra,
    }  # fmt: skip


def ws_login_args(ep: VenueEndpoints, ts_s: int | None = None) -> dict[str, Any]:
    ts = str(ts_s if ts_s is not None else int(time.time()))
    return {
        "op": "login",
        "args": [
            {
                "apiKey": ep.api_key,
                "passphrase": ep.passphrase,
                "timestamp": ts,
                "sign": signature(ep.secret, f"{ts}GET/user/verify"),
            }
        ],
    }


async def next_json(ws: aiohttp.ClientWebSocketResponse, timeout_s: float = 5.0) -> Any:
    msg = await ws.receive(timeout=timeout_s)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def next_push(
    ws: aiohttp.ClientWebSocketResponse, channel: str, timeout_s: float = 5.0
) -> dict[str, Any]:
    """The next data push of `channel`, skipping other frames."""
    deadline = time.monotonic() + timeout_s
    while True:
        frame = await next_json(ws, max(0.1, deadline - time.monotonic()))
        is_push = isinstance(frame, dict) and "action" in frame
        if is_push and frame.get("arg", {}).get("channel") == channel:
            push: dict[str, Any] = frame
            return push


class ClientBook:
    """A client's copy of a Bitget `books` stream, kept as the original strings (as ccxt does)."""

    def __init__(self) -> None:
        self.bids: dict[str, str] = {}
        self.asks: dict[str, str] = {}

    def apply(self, data: dict[str, Any], snapshot: bool) -> None:
        if snapshot:
            self.bids.clear()
            self.asks.clear()
        for side, levels in ((self.bids, data["bids"]), (self.asks, data["asks"])):
            for px, qty in levels:
                if float(qty) == 0:
                    side.pop(px, None)
                else:
                    side[px] = qty

    def checksum(self) -> int:
        bids = sorted(self.bids.items(), key=lambda lv: -float(lv[0]))
        asks = sorted(self.asks.items(), key=lambda lv: float(lv[0]))
        parts: list[str] = []
        for i in range(25):
            if i < len(bids):
                parts += [bids[i][0], bids[i][1]]
            if i < len(asks):
                parts += [asks[i][0], asks[i][1]]
        value = zlib.crc32(":".join(parts).encode())
        return value - 2**32 if value >= 2**31 else value


VENUE = Venue.BITGET
