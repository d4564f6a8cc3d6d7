"""Synchronous-write HTTP/1.1 client for one host over pre-opened keep-alive connections.

`FastLane.try_write` serialises a request and hands it to an idle connection's transport
before it returns, so an order leaves inside the caller's own callback (no task hop, no
await). One request is in flight per connection (no pipelining); a connection whose answer
times out or breaks is closed and replaced, so a late answer can never be matched to the
next request. Failures after the write map like `RestSession` (shared helpers in rest.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections import deque
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, cast
from urllib.parse import urlsplit

from arbcore.core.errors import ConfigError, NetworkError
from arbcore.exchanges.transport.httpwire import (
    ParsedResponse,
    ResponseParser,
    WireError,
    encode_request,
)
from arbcore.exchanges.transport.rest import HttpResponse, failure_after_send, raise_for_status

FastResponse = HttpResponse  # same fields as the aiohttp path: venue decoders take either
RECONNECT_MIN_S = 0.05
RECONNECT_MAX_S = 2.0
_TCP_INFO: int | None = getattr(socket, "TCP_INFO", None)  # Linux: first byte = TCP state
_TCP_ESTABLISHED = 1


async def raise_on_await(exc: BaseException) -> NoReturn:
    """An awaitable that raises `exc`: errors of a synchronous submit surface on await."""
    raise exc


@dataclass(slots=True)
class FastLaneStats:
    writes: int = 0
    responses: int = 0
    failures: int = 0
    no_connection: int = 0
    connections_opened: int = 0
    connections_lost: int = 0
    recycled: int = 0


@dataclass(slots=True)
class _InFlight:
    future: asyncio.Future[FastResponse]
    what: str
    path: str
    order_client_id: str | None
    written_ns: int
    timer: asyncio.TimerHandle


class _Connection(asyncio.Protocol):
    """One keep-alive socket: idle, or waiting for the answer to exactly one request."""

    def __init__(self, lane: FastLane) -> None:
        self.lane = lane
        self.transport: asyncio.Transport | None = None
        self.parser = ResponseParser()
        self.pending: _InFlight | None = None
        self.idle_since = time.monotonic()
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transports implement the interface without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self.idle_since = time.monotonic()

    def send(self, data: bytes, pending: _InFlight) -> None:
        assert self.transport is not None
        self.pending = pending
        self.parser = ResponseParser()
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        pending = self.pending
        if pending is None:
            self.abort("unsolicited bytes on an idle connection")
            return
        try:
            done = self.parser.feed(data)
        except WireError as exc:
            self.abort(f"bad response: {exc}")
            return
        if done is not None:
            self._deliver(pending, done)

    def _deliver(self, pending: _InFlight, done: ParsedResponse) -> None:
        self.pending = None
        pending.timer.cancel()
        if not pending.future.done():
            response = FastResponse(
                done.status, done.body, done.headers, pending.written_ns, time.perf_counter_ns()
            )
            try:
                raise_for_status(
                    self.lane.venue,
                    done.status,
                    done.body,
                    done.headers,
                    pending.path,
                    pending.order_client_id,
                )
            except Exception as exc:
                pending.future.set_exception(exc)
            else:
                pending.future.set_result(response)
        self.lane.stats.responses += 1
        if self.closed:
            return
        if done.keep_alive and not self.parser.leftover:
            self.idle_since = time.monotonic()
            self.lane.release(self)
        else:
            self.abort("server ends the connection after this answer")

    def eof_received(self) -> bool | None:
        return False  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        pending = self.pending
        done = self.parser.feed_eof() if pending is not None else None
        if pending is not None and done is not None:
            self._deliver(pending, done)
            pending = None
        self.pending = None
        if pending is not None:
            pending.timer.cancel()
            reason = f"connection lost: {exc!r}" if exc is not None else "connection closed"
            self._fail(pending, reason)
        self.lane.lost(self)

    def on_timeout(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            self._fail(pending, "no answer in time")
        self.abort("answer timed out")

    def _fail(self, pending: _InFlight, reason: str) -> None:
        self.lane.stats.failures += 1
        if not pending.future.done():
            what = f"{pending.what}: {reason}"
            pending.future.set_exception(
                failure_after_send(self.lane.venue, what, pending.order_client_id)
            )

    def abort(self, reason: str) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.timer.cancel()
            self._fail(pending, reason)
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.abort()


def _peer_closed(transport: asyncio.Transport) -> bool:
    """The kernel already holds the peer's FIN (or the socket is gone) though the loop has
    not processed it yet: writing an order there would make its outcome unknown."""
    sock = transport.get_extra_info("socket")
    if sock is None or _TCP_INFO is None:
        return False
    try:
        return bool(sock.getsockopt(socket.IPPROTO_TCP, _TCP_INFO, 1)[0] != _TCP_ESTABLISHED)
    except OSError:
        return False


class FastLane:
    """N pre-opened keep-alive connections to one http(s) host, replaced when they close."""

    def __init__(
        self,
        venue: str,
        base_url: str,
        *,
        connections: int = 2,
        timeout_s: float = 5.0,
        connect_timeout_s: float = 3.0,
        recycle_idle_s: float = 50.0,
        default_headers: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{venue}: fast lane needs an http(s) URL, got {base_url!r}")
        secure = parts.scheme == "https"
        self.venue = venue
        self.host = parts.hostname
        self.port = parts.port or (443 if secure else 80)
        self.prefix = parts.path.rstrip("/")
        self.ssl: ssl.SSLContext | None = None
        if secure:
            self.ssl = ssl_context if ssl_context is not None else ssl.create_default_context()
        default_port = 443 if secure else 80
        host_header = self.host if self.port == default_port else f"{self.host}:{self.port}"
        self.fixed_headers = {"Host": host_header, **dict(default_headers or {})}
        self.size = connections
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.recycle_idle_s = recycle_idle_s
        self.stats = FastLaneStats()
        self._idle: deque[_Connection] = deque()
        self._all: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False
        self._opening = 0

    @property
    def ready(self) -> int:
        """Connections idle and able to take a request now."""
        return len(self._idle)

    async def start(self) -> None:
        """Open the connections now; those that fail keep retrying in the background."""
        if self._running:
            return
        self._running = True
        await asyncio.gather(*(self._open() for _ in range(self.size)), return_exceptions=True)
        self._spawn(self._maintain())

    async def close(self) -> None:
        self._running = False
        self._opening = 0
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for conn in list(self._all):
            conn.abort("fast lane closed")
        self._idle.clear()
        self._all.clear()

    def try_write(
        self,
        method: str,
        path_with_query: str,
        headers: Mapping[str, str],
        body: bytes | None,
        *,
        timeout_s: float | None = None,
        order_client_id: str | None = None,
    ) -> asyncio.Future[FastResponse] | None:
        """Write the request now on an idle connection and return the future of its answer,
        or None (nothing written) when no connection is ready; a request that cannot be
        encoded raises NetworkError (not sent) at once. The future raises like
        `RestSession.request` for failures after sending (OrderOutcomeUnknown carrying
        `order_client_id` on order endpoints), 429 and 5xx."""
        path = self.prefix + path_with_query
        try:
            data = encode_request(method, path, self.fixed_headers, headers, body)
        except WireError as exc:
            raise NetworkError(self.venue, f"{method} {path}: not sent: {exc}") from exc
        conn = self._take_idle()
        if conn is None:
            self.stats.no_connection += 1
            return None
        loop = asyncio.get_running_loop()
        future: asyncio.Future[FastResponse] = loop.create_future()
        wait_s = timeout_s if timeout_s is not None else self.timeout_s
        timer = loop.call_later(wait_s, conn.on_timeout)
        pending = _InFlight(
            future, f"{method} {path}", path, order_client_id, time.perf_counter_ns(), timer
        )
        conn.send(data, pending)
        self.stats.writes += 1
        return future

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.popleft()
            transport = conn.transport
            if conn.closed or transport is None or transport.is_closing():
                continue
            if _peer_closed(transport):
                conn.abort("peer closed the idle connection")
                continue
            return conn
        return None

    def release(self, conn: _Connection) -> None:
        if self._running and not conn.closed:
            self._idle.append(conn)

    def lost(self, conn: _Connection) -> None:
        self.stats.connections_lost += 1
        self._all.discard(conn)
        with contextlib.suppress(ValueError):
            self._idle.remove(conn)
        if self._running:
            self._spawn(self._reopen())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        conn = _Connection(self)
        self._opening += 1
        try:
            await asyncio.wait_for(
                loop.create_connection(
                    lambda: conn,
                    self.host,
                    self.port,
                    ssl=self.ssl,
                    server_hostname=self.host if self.ssl is not None else None,
                ),
                self.connect_timeout_s,
            )
        finally:
            self._opening -= 1
        self.stats.connections_opened += 1
        if not self._running:
            conn.abort("fast lane closed")
            return
        self._all.add(conn)
        self._idle.append(conn)

    async def _reopen(self) -> None:
        delay_s = RECONNECT_MIN_S
        while self._running and len(self._all) + self._opening < self.size:
            try:
                await self._open()
                return
            except (OSError, TimeoutError):
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, RECONNECT_MAX_S)

    async def _maintain(self) -> None:
        """Keep `size` connections open; replace one long-idle connection per round (servers
        drop idle keep-alive sockets, and a drop racing an order write makes its outcome
        unknown)."""
        while self._running:
            await asyncio.sleep(max(0.05, min(1.0, self.recycle_idle_s / 4)))
            await self._reopen()
            now = time.monotonic()
            stale = next((c for c in self._idle if now - c.idle_since > self.recycle_idle_s), None)
            if stale is None:
                continue
            with contextlib.suppress(OSError, TimeoutError):
                await self._open()  # the replacement first: never fewer ready than before
            if stale in self._idle:
                self._idle.remove(stale)
                self.stats.recycled += 1
                stale.abort("recycled after idling")
