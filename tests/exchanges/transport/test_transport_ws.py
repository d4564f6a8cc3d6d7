"""WebSocket session: backoff schedule, compressed frames, reconnect + resubscribe, pings."""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

import pytest
from aiohttp import WSMsgType, web

from arbcore.core.enums import ConnectionState, Venue
from arbcore.exchanges.base import Compression
from arbcore.exchanges.transport.ws import Backoff, Frame, WsSession, inflate


def test_backoff_doubles_from_half_a_second_to_thirty_with_jitter() -> None:
    backoff = Backoff(rng=random.Random(7))
    bases = [backoff.base_s(i) for i in range(9)]
    assert bases == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    delays = [backoff.next_delay_s() for _ in range(9)]
    for base, delay in zip(bases, delays, strict=True):
        assert base * 0.8 <= delay <= base
    assert len({round(d / b, 6) for d, b in zip(delays, bases, strict=True)}) > 1  # jittered
    backoff.reset()
    assert backoff.next_delay_s() <= 0.5


def test_inflate_gzip_deflate_and_plain() -> None:
    payload = b'{"ping":1492420473027}'
    assert inflate(gzip.compress(payload), Compression.NONE) == payload
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    deflated = raw.compress(payload) + raw.flush()
    assert inflate(deflated, Compression.DEFLATE) == payload
    assert inflate(zlib.compress(payload), Compression.DEFLATE) == payload
    assert inflate(payload, Compression.NONE) == payload


@dataclass
class Recorder:
    """A venue handler: JSON subscribe frames, text ping, answers server pings."""

    ping_interval_s: float | None = 0.1
    idle_timeout_s: float | None = 5.0
    frames: list[Frame] = field(default_factory=list)
    opens: int = 0
    closes: list[str] = field(default_factory=list)

    async def on_open(self, ws: WsSession) -> None:
        self.opens += 1

    def subscribe_frames(self, topics: Sequence[str]) -> list[str]:
        return [json.dumps({"op": "subscribe", "args": list(topics)})]

    def unsubscribe_frames(self, topics: Sequence[str]) -> list[str]:
        return [json.dumps({"op": "unsubscribe", "args": list(topics)})]

    def ping_frame(self) -> Frame | None:
        return "ping"

    def auto_reply(self, data: Frame) -> Frame | None:
        text = data.decode() if isinstance(data, bytes) else data
        if text.startswith('{"ping":'):
            return text.replace("ping", "pong")
        return None

    def on_frame(self, data: Frame, recv_ns: int) -> None:
        self.frames.append(data)

    def on_close(self, reason: str) -> None:
        self.closes.append(reason)


@dataclass
class Server:
    url: str
    received: list[str] = field(default_factory=list)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    connections: int = 0


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server("")

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        state.connections += 1
        state.sockets.append(ws)
        await ws.send_bytes(gzip.compress(b'{"ping":42}'))
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            state.received.append(msg.data)
            if msg.data.startswith('{"op": "subscribe"'):
                topics = json.loads(msg.data)["args"]
                for topic in topics:
                    await ws.send_bytes(gzip.compress(json.dumps({"topic": topic}).encode()))
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.url = f"ws://127.0.0.1:{runner.addresses[0][1]}/ws"
    yield state
    for ws in state.sockets:
        await ws.close()
    await runner.shutdown()
    await runner.cleanup()


async def _wait_for(cond: Callable[[], object], timeout_s: float = 5.0) -> None:
    """Poll a condition the socket tasks make true (no event exists for these)."""
    async with asyncio.timeout(timeout_s):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_gzip_frames_delivered_inflated_and_server_ping_answered(server: Server) -> None:
    handler = Recorder()
    session = WsSession(Venue.HTX, "public", server.url, handler, compression=Compression.GZIP)
    session.start()
    await session.subscribe(["market.BTC-USDT.depth"])
    await session.wait_connected(5)
    await _wait_for(lambda: handler.frames)
    assert handler.frames[0] == b'{"topic": "market.BTC-USDT.depth"}'
    await _wait_for(lambda: '{"pong":42}' in server.received)
    await _wait_for(lambda: "ping" in server.received)  # client heartbeat
    await session.close()


async def test_drop_reconnects_and_resubscribes_everything(server: Server) -> None:
    handler = Recorder()
    states: list[ConnectionState] = []
    session = WsSession(Venue.BYBIT, "public", server.url, handler, backoff=Backoff(initial_s=0.05))
    session.add_listener(lambda venue, name, state: states.append(state))
    session.start()
    await session.subscribe(["a", "b"])
    await session.wait_connected(5)
    await _wait_for(lambda: len(handler.frames) == 2)
    await server.sockets[0].close()
    await _wait_for(lambda: server.connections == 2 and len(handler.frames) == 4)
    subscribes = [json.loads(m)["args"] for m in server.received if '"subscribe"' in m]
    assert subscribes == [["a", "b"], ["a", "b"]]
    assert handler.opens == 2 and len(handler.closes) == 1 and session.reconnects == 1
    assert states[:4] == [
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.DISCONNECTED,
        ConnectionState.CONNECTING,
    ]
    await _wait_for(lambda: session.connected)
    await session.resubscribe(["a"])
    await _wait_for(lambda: any('"unsubscribe"' in m for m in server.received))
    await session.close()
    assert session.state is ConnectionState.DISCONNECTED


async def test_refused_connection_retries_with_backoff() -> None:
    handler = Recorder()
    session = WsSession(
        Venue.BYBIT, "public", "ws://127.0.0.1:9/ws", handler, backoff=Backoff(initial_s=0.01)
    )
    session.start()
    await _wait_for(lambda: session.backoff.attempt >= 3)
    assert not session.connected and session.last_error.startswith("connect")
    await session.close()


async def test_cancelling_the_run_task_ends_it(server: Server) -> None:
    handler = Recorder()
    session = WsSession(Venue.BYBIT, "public", server.url, handler)
    task = session.start()
    await session.wait_connected(5)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert task in done and task.cancelled()
    assert not session.connected
