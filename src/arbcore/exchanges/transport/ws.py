"""WebSocket session: connect, venue heartbeat, reconnect with jittered backoff, resubscribe.

The session moves frames; the venue's `WsHandler` supplies login, subscribe/unsubscribe
frames, pings, replies to server pings, and dispatch. Binary frames that carry gzip or
deflate data are inflated before delivery. Each frame is delivered with the
`time.perf_counter_ns()` taken when it was read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import zlib
from collections.abc import Sequence
from typing import Any, Protocol

import aiohttp

from arbcore.core.enums import ConnectionState, Venue
from arbcore.exchanges.base import Compression, ConnectionListener

log = logging.getLogger(__name__)

Frame = bytes | str


class Backoff:
    """Exponential backoff with jitter: bases 0.5, 1, 2, ... capped at 30 s.

    Each delay is drawn from [base * (1 - jitter), base], so many clients that lost the
    same server do not come back in lockstep.
    """

    def __init__(
        self,
        initial_s: float = 0.5,
        max_s: float = 30.0,
        factor: float = 2.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.factor = factor
        self.jitter = jitter
        self.attempt = 0
        self._rng = rng or random.Random()

    def base_s(self, attempt: int) -> float:
        return float(min(self.max_s, self.initial_s * self.factor**attempt))

    def next_delay_s(self) -> float:
        base = self.base_s(self.attempt)
        self.attempt += 1
        return base * (1 - self.jitter * self._rng.random())

    def reset(self) -> None:
        self.attempt = 0


def inflate(data: bytes, compression: Compression) -> bytes:
    """Undo the venue's frame compression; gzip is recognised by its magic bytes."""
    if data[:2] == b"\x1f\x8b":
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    if compression is Compression.DEFLATE or (
        compression is Compression.GZIP and data[:1] == b"\x78"
    ):
        if data[:1] == b"\x78":
            return zlib.decompress(data)
        return zlib.decompress(data, -zlib.MAX_WBITS)
    return data


async def _cancel_and_wait(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel helper tasks and wait for them; a cancellation of the caller still propagates
    (gather re-raises it), unlike `suppress(CancelledError)` which would swallow it."""
    live = [t for t in tasks if t is not None and not t.done()]
    for task in live:
        task.cancel()
    if live:
        await asyncio.gather(*live, return_exceptions=True)


class WsHandler(Protocol):
    """What a venue supplies to a `WsSession`."""

    ping_interval_s: float | None
    idle_timeout_s: float | None

    async def on_open(self, ws: WsSession) -> None:
        """Runs on every (re)connect before subscriptions are resent: login goes here."""
        ...

    def subscribe_frames(self, topics: Sequence[str]) -> list[str]: ...

    def unsubscribe_frames(self, topics: Sequence[str]) -> list[str]: ...

    def ping_frame(self) -> Frame | None: ...

    def auto_reply(self, data: Frame) -> Frame | None:
        """A reply to send for server-initiated pings (HTX, BingX), else None."""
        ...

    def on_frame(self, data: Frame, recv_ns: int) -> None: ...

    def on_close(self, reason: str) -> None:
        """The socket is gone: books must go stale, pending logins fail."""
        ...


class WsSession:
    """One logical stream that keeps itself connected and subscribed."""

    def __init__(
        self,
        venue: Venue,
        name: str,
        url: str,
        handler: WsHandler,
        *,
        compression: Compression = Compression.NONE,
        backoff: Backoff | None = None,
        open_timeout_s: float = 10.0,
        stable_after_s: float = 10.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.venue = venue
        self.name = name
        self.url = url
        self.handler = handler
        self.compression = compression
        self.backoff = backoff or Backoff()
        self.open_timeout_s = open_timeout_s
        self.stable_after_s = stable_after_s
        self.state = ConnectionState.DISCONNECTED
        self.reconnects = 0
        self.frames = 0
        self.last_error = ""
        self.topics: dict[str, None] = {}
        self._listeners: list[ConnectionListener] = []
        self._session = session
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._connected = asyncio.Event()
        self._closers: set[asyncio.Task[bool]] = set()

    def add_listener(self, listener: ConnectionListener) -> None:
        self._listeners.append(listener)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> asyncio.Task[None]:
        """Run the connect loop in a task owned by this session (cancelled by `close`)."""
        if self._task is None or self._task.done():
            self._closing = False
            self._task = asyncio.create_task(self.run(), name=f"ws-{self.venue}-{self.name}")
        return self._task

    async def wait_connected(self, timeout_s: float) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout_s)

    async def close(self) -> None:
        self._closing = True
        ws = self._ws
        if ws is not None:
            await ws.close()
        if self._task is not None:
            await _cancel_and_wait(self._task)
            self._task = None

    async def send(self, frame: Frame) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            return
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)

    async def subscribe(self, topics: Sequence[str]) -> None:
        """Remember the topics (resent after every reconnect) and subscribe now if connected."""
        new = [t for t in topics if t not in self.topics]
        for topic in new:
            self.topics[topic] = None
        if new and self.connected:
            for frame in self.handler.subscribe_frames(new):
                await self.send(frame)

    async def unsubscribe(self, topics: Sequence[str]) -> None:
        gone = [t for t in topics if t in self.topics]
        for topic in gone:
            del self.topics[topic]
        if gone and self.connected:
            for frame in self.handler.unsubscribe_frames(gone):
                await self.send(frame)

    async def resubscribe(self, topics: Sequence[str]) -> None:
        """Unsubscribe and subscribe again on the live socket (fresh snapshot after a gap)."""
        if not self.connected:
            return
        for frame in self.handler.unsubscribe_frames(topics):
            await self.send(frame)
        for frame in self.handler.subscribe_frames(topics):
            await self.send(frame)

    def force_reconnect(self, reason: str) -> None:
        """Drop the socket; the run loop reconnects and resubscribes."""
        self.last_error = reason
        ws = self._ws
        if ws is not None and not ws.closed:
            task = asyncio.get_running_loop().create_task(ws.close())
            self._closers.add(task)
            task.add_done_callback(self._closers.discard)

    def _set_state(self, state: ConnectionState) -> None:
        if state is self.state:
            return
        self.state = state
        for listener in self._listeners:
            try:
                listener(self.venue, self.name, state)
            except Exception:
                log.exception("connection listener failed")

    async def run(self) -> None:
        own_session = self._session is None
        session = self._session or aiohttp.ClientSession()
        try:
            while not self._closing:
                self._set_state(ConnectionState.CONNECTING)
                try:
                    ws = await session.ws_connect(
                        self.url,
                        autoping=True,
                        timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
                        max_msg_size=0,
                    )
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    self.last_error = f"connect: {type(exc).__name__}: {exc}"
                    self._set_state(ConnectionState.DISCONNECTED)
                    await asyncio.sleep(self.backoff.next_delay_s())
                    continue
                opened_at = time.monotonic()
                reason = "closed"
                try:
                    reason = await self._serve(ws)
                except Exception as exc:  # login refused, handler bug, socket error: reconnect
                    reason = f"{type(exc).__name__}: {exc}"
                finally:
                    self._ws = None
                    self._connected.clear()
                    with contextlib.suppress(Exception):
                        await ws.close()
                    self.last_error = reason
                    self.handler.on_close(reason)
                    self._set_state(ConnectionState.DISCONNECTED)
                if self._closing:
                    break
                if time.monotonic() - opened_at >= self.stable_after_s:
                    self.backoff.reset()
                self.reconnects += 1
                await asyncio.sleep(self.backoff.next_delay_s())
        finally:
            if own_session:
                await session.close()

    async def _serve(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        self._ws = ws
        reader = asyncio.create_task(self._read_loop(ws))
        pinger: asyncio.Task[None] | None = None
        try:
            opener = asyncio.create_task(self.handler.on_open(self))
            done, _ = await asyncio.wait(
                {reader, opener}, timeout=self.open_timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
            if opener not in done:
                await _cancel_and_wait(opener)
                if reader in done:
                    return reader.result()
                return "open timed out"
            opener.result()
            topics = list(self.topics)
            if topics:
                for frame in self.handler.subscribe_frames(topics):
                    await self.send(frame)
            self._connected.set()
            self._set_state(ConnectionState.CONNECTED)
            if self.handler.ping_interval_s:
                pinger = asyncio.create_task(self._ping_loop(self.handler.ping_interval_s))
            return await reader
        finally:
            await _cancel_and_wait(reader, pinger)

    async def _ping_loop(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            frame = self.handler.ping_frame()
            if frame is not None:
                await self.send(frame)

    async def _read_loop(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        idle_s = self.handler.idle_timeout_s
        while True:
            try:
                msg = await ws.receive(timeout=idle_s)
            except TimeoutError:
                return f"no frame for {idle_s} s"
            recv_ns = time.perf_counter_ns()
            data: Frame
            if msg.type is aiohttp.WSMsgType.TEXT:
                data = msg.data
            elif msg.type is aiohttp.WSMsgType.BINARY:
                data = inflate(msg.data, self.compression)
            elif msg.type is aiohttp.WSMsgType.ERROR:
                return f"error: {ws.exception()!r}"
            else:
                return f"closed by peer ({msg.type.name}, code {ws.close_code})"
            self.frames += 1
            reply = self.handler.auto_reply(data)
            if reply is not None:
                await self.send(reply)
                continue
            try:
                self.handler.on_frame(data, recv_ns)
            except Exception:
                log.exception("%s %s: frame handler failed", self.venue, self.name)
