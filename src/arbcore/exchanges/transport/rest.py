"""HTTP session for one venue: kept-alive pre-warmed connections, timeouts, error mapping.

The transport moves bytes. It raises for what it can judge alone (connect failures, 429,
5xx, timeouts) and hands every other answer back for the venue to decode. Whether a request
reached the wire is tracked with aiohttp's trace hooks, so a failure after the headers were
sent on an order endpoint becomes `OrderOutcomeUnknown`, never a reject.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import aiohttp

from arbcore.core.errors import (
    ExchangeError,
    NetworkError,
    OrderOutcomeUnknown,
    RateLimited,
    TransientError,
)

# On an order endpoint these statuses come from gateways that may have forwarded the order.
_UNKNOWN_OUTCOME_STATUSES = frozenset({500, 502, 504})


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    headers: Mapping[str, str]
    sent_ns: int
    recv_ns: int


@dataclass(slots=True)
class _SendState:
    headers_sent: bool = False


@dataclass(slots=True)
class RestStats:
    requests: int = 0
    errors: int = 0
    connections_opened: int = 0
    last_latency_ns: int = 0
    by_status: dict[int, int] = field(default_factory=dict)


async def _on_headers_sent(
    _session: aiohttp.ClientSession,
    ctx: SimpleNamespace,
    _params: aiohttp.TraceRequestHeadersSentParams,
) -> None:
    state = ctx.trace_request_ctx
    if isinstance(state, _SendState):
        state.headers_sent = True


class RestSession:
    """One aiohttp session per venue (one connection pool, kept alive)."""

    def __init__(
        self,
        venue: str,
        base_url: str,
        *,
        timeout_s: float = 5.0,
        connect_timeout_s: float = 3.0,
        max_connections: int = 16,
        prewarm_connections: int = 2,
        prewarm_path: str | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.venue = venue
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_connections = max_connections
        self.prewarm_connections = prewarm_connections
        self.prewarm_path = prewarm_path
        self.default_headers = dict(default_headers or {})
        self.stats = RestStats()
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            raise NetworkError(self.venue, "HTTP session not started")
        return self._session

    async def start(self) -> None:
        if self._session is not None and not self._session.closed:
            return
        trace = aiohttp.TraceConfig()
        trace.on_request_headers_sent.append(_on_headers_sent)
        trace.on_connection_create_end.append(self._on_connection_created)
        connector = aiohttp.TCPConnector(
            limit=self.max_connections,
            keepalive_timeout=60.0,
            ttl_dns_cache=300,
            enable_cleanup_closed=True,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            trace_configs=[trace],
            headers=self.default_headers,
            auto_decompress=True,
        )
        if self.prewarm_path is not None and self.prewarm_connections > 0:
            await self.prewarm(self.prewarm_path, self.prewarm_connections)

    async def _on_connection_created(
        self, _session: aiohttp.ClientSession, _ctx: SimpleNamespace, _params: Any
    ) -> None:
        self.stats.connections_opened += 1

    async def prewarm(self, path: str, connections: int) -> None:
        """Open `connections` sockets now (concurrent requests force separate connections)."""

        async def one() -> None:
            try:
                async with self.session.get(
                    self.base_url + path,
                    timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                ) as resp:
                    await resp.read()
            except (aiohttp.ClientError, TimeoutError):
                return

        await asyncio.gather(*(one() for _ in range(connections)))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
        order_client_id: str | None = None,
    ) -> HttpResponse:
        """Send one request; `query` is the exact, already-encoded query string (signed as is).

        `order_client_id` marks an order-placing call: a failure after sending then raises
        `OrderOutcomeUnknown` carrying that id.
        """
        url = self.base_url + path + ("?" + query if query else "")
        total_s = timeout_s if timeout_s is not None else self.timeout_s
        timeout = aiohttp.ClientTimeout(total=total_s, connect=min(self.connect_timeout_s, total_s))
        state = _SendState()
        data = body.encode() if isinstance(body, str) else body
        self.stats.requests += 1
        sent_ns = time.perf_counter_ns()
        try:
            async with self.session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=timeout,
                trace_request_ctx=state,
                allow_redirects=False,
            ) as resp:
                payload = await resp.read()
                recv_ns = time.perf_counter_ns()
                status = resp.status
                resp_headers = {k: v for k, v in resp.headers.items()}
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.stats.errors += 1
            raise self._map_failure(exc, state, method, path, order_client_id) from exc
        self.stats.last_latency_ns = recv_ns - sent_ns
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
        self._raise_for_status(status, payload, resp_headers, path, order_client_id)
        return HttpResponse(status, payload, resp_headers, sent_ns, recv_ns)

    def _map_failure(
        self,
        exc: BaseException,
        state: _SendState,
        method: str,
        path: str,
        order_client_id: str | None,
    ) -> Exception:
        what = f"{method} {path}: {type(exc).__name__}: {exc}"
        if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
            return NetworkError(self.venue, f"connect failed, not sent: {what}")
        if not state.headers_sent:
            return NetworkError(self.venue, f"failed before sending: {what}")
        return failure_after_send(self.venue, what, order_client_id)

    def _raise_for_status(
        self,
        status: int,
        payload: bytes,
        headers: Mapping[str, str],
        path: str,
        order_client_id: str | None,
    ) -> None:
        raise_for_status(self.venue, status, payload, headers, path, order_client_id)


def failure_after_send(venue: str, what: str, order_client_id: str | None) -> ExchangeError:
    """A request left but no answer came: on an order endpoint it may have executed."""
    if order_client_id is not None:
        return OrderOutcomeUnknown(
            venue, f"no answer after sending: {what}", client_id=order_client_id
        )
    return TransientError(venue, f"no answer after sending: {what}")


def raise_for_status(
    venue: str,
    status: int,
    payload: bytes,
    headers: Mapping[str, str],
    path: str,
    order_client_id: str | None,
) -> None:
    """Raise for what the status alone decides (429, 5xx); other answers go to the venue."""
    if status == 429:
        raise RateLimited(
            venue,
            f"HTTP 429 on {path}: {payload[:200].decode(errors='replace')}",
            code=429,
            retry_after_s=_retry_after_s(headers),
        )
    if status >= 500:
        text = f"HTTP {status} on {path}: {payload[:200].decode(errors='replace')}"
        if order_client_id is not None and status in _UNKNOWN_OUTCOME_STATUSES:
            raise OrderOutcomeUnknown(venue, text, client_id=order_client_id, code=status)
        raise TransientError(venue, text, code=status)


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
