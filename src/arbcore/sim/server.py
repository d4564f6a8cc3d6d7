"""Per-venue aiohttp server: front-end base class, WebSocket sessions, fault middleware, control."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import importlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import orjson
from aiohttp import WSMsgType, web

from arbcore.core.clock import Clock
from arbcore.core.enums import Venue
from arbcore.core.quantize import fmt
from arbcore.sim.config import DemoCredentials, SimConfig
from arbcore.sim.control import install_control_routes
from arbcore.sim.events import PrivateEvent
from arbcore.sim.faults import FaultController
from arbcore.sim.market import BookUpdate, SimBook
from arbcore.sim.matching import SimExchange

log = logging.getLogger(__name__)
CONTROL_PREFIX = "/__sim"
_CLOSING_TYPES = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class VenueContext:
    """What a front end gets: the venue's matching core, its faults, config, keys and clock."""

    venue: Venue
    exchange: SimExchange
    faults: FaultController
    config: SimConfig
    credentials: DemoCredentials
    clock: Clock
    sessions: set[WsSession] = field(default_factory=set)


class WsSession:
    """One accepted WebSocket: an outbound queue drained by a writer task.

    Honors faults: while the venue is stalled nothing is written (frames wait in the queue);
    `abort()` drops the TCP connection without a close frame. `topics` and `account_id` are
    free for the front end to use (subscriptions, private login).
    """

    def __init__(self, ws: web.WebSocketResponse, ctx: VenueContext, private: bool) -> None:
        self.ws = ws
        self.ctx = ctx
        self.private = private
        self.topics: set[str] = set()
        self.account_id: str | None = None
        self.last_recv_s = time.monotonic()
        self.state: dict[str, Any] = {}  # per-connection front-end data
        self._queue: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self.closed = False

    def send_json(self, payload: Any) -> None:
        self.send(orjson.dumps(payload).decode())

    def send(self, frame: str | bytes) -> None:
        """Queue a text (str) or binary (bytes) frame; never blocks."""
        if not self.closed:
            self._queue.put_nowait(frame)

    async def _write_loop(self) -> None:
        faults = self.ctx.faults
        while True:
            frame = await self._queue.get()
            if frame is None:
                return
            stall_s = faults.stall_left_s()
            if stall_s > 0:
                faults.note_stall_applied()
                await asyncio.sleep(stall_s)
            try:
                if isinstance(frame, bytes):
                    await self.ws.send_bytes(frame)
                else:
                    await self.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                self.closed = True
                return

    def abort(self) -> None:
        """Drop the connection without a close handshake (what a network failure looks like)."""
        self.closed = True
        transport = self.ws._req.transport if self.ws._req is not None else None
        if transport is not None:
            transport.abort()
        self._queue.put_nowait(None)

    async def run(
        self, on_text: Callable[[WsSession, str], Awaitable[None]], idle_timeout_s: float
    ) -> None:
        """Serve until the peer leaves, the idle timeout passes or the session is aborted."""
        self._writer = asyncio.create_task(self._write_loop())
        self.ctx.sessions.add(self)
        try:
            while not self.closed:
                try:
                    msg = await self.ws.receive(timeout=idle_timeout_s)
                except TimeoutError:
                    log.info("sim ws idle timeout", extra={"venue": self.ctx.venue.value})
                    break
                if msg.type is WSMsgType.TEXT:
                    self.last_recv_s = time.monotonic()
                    await on_text(self, msg.data)
                elif msg.type in _CLOSING_TYPES:
                    break
        finally:
            self.closed = True
            self.ctx.sessions.discard(self)
            self._queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await self._writer
            with contextlib.suppress(Exception):
                await self.ws.close()


class FrontEnd(abc.ABC):
    """A venue's wire protocol on top of the venue-agnostic core.

    Subclasses set the class attributes, add their routes in `setup_routes`, encode book
    updates (`on_book_update`) and private events (`on_private_event`) for their sessions,
    and answer the rate-limit fault like their venue does. Module
    `arbcore.sim.venues.<venue>` must expose the subclass as `FRONT_END`.
    """

    venue: ClassVar[Venue]
    has_checksum: ClassVar[bool] = False
    ws_public_path: ClassVar[str]
    ws_private_path: ClassVar[str]
    idle_timeout_s: ClassVar[float] = 600.0
    # (method, path) of requests that create orders: execute-then-timeout applies to them
    order_entry_routes: ClassVar[frozenset[tuple[str, str]]] = frozenset()

    def __init__(self, ctx: VenueContext) -> None:
        self.ctx = ctx
        self.exchange = ctx.exchange

    @property
    def ws_idle_timeout_s(self) -> float:
        configured = self.ctx.config.ws_idle_timeout_s
        return configured if configured is not None else self.idle_timeout_s

    def account_for_key(self, api_key: str) -> str | None:
        """Account id for an API key (the demo key maps to the account of the same name)."""
        return api_key if api_key == self.ctx.credentials.api_key else None

    @abc.abstractmethod
    def setup_routes(self, app: web.Application) -> None:
        """Register REST routes and the public/private WebSocket routes."""

    @abc.abstractmethod
    def rate_limit_response(self, request: web.Request) -> web.StreamResponse:
        """The venue's answer to a request over its rate limit."""

    @abc.abstractmethod
    def on_book_update(self, book: SimBook, update: BookUpdate) -> None:
        """Called for every book change (market model, replay or fills); push to subscribers."""

    @abc.abstractmethod
    def on_private_event(self, account_id: str, event: PrivateEvent) -> None:
        """Called synchronously for every private event; encode now, the objects move on."""

    @abc.abstractmethod
    async def start(self) -> None:
        """Start per-venue tasks (periodic pushes); the server calls it after binding."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop what `start` started."""


def front_end_class(venue: Venue) -> type[FrontEnd]:
    """The registered front end of `venue` (module arbcore.sim.venues.<venue>, `FRONT_END`)."""
    module = importlib.import_module(f"arbcore.sim.venues.{venue.value}")
    cls: type[FrontEnd] = module.FRONT_END
    return cls


class VenueServer:
    """One venue on one loopback port: REST + public WS + private WS + `/__sim` control API.

    Control API (JSON): `GET /__sim/faults` → {"counters": {...}, "log": [...]};
    `POST /__sim/faults` {"fault": "<kind>", ...params} arms a fault (kinds and params as the
    FaultController methods: drop_ws, stall_ws{seconds}, skip_sequence{n}, corrupt_checksum{n},
    reject_next_orders{n, reason}, rate_limit_next{n}, delay_responses{ms, n},
    partial_fill_next{n, fraction}, execute_then_timeout_next{n}, refuse_connections{seconds});
    `GET /__sim/state?account=<id>` → wallet, positions, open orders and ledger size.
    """

    def __init__(self, front_end: FrontEnd, host: str = "127.0.0.1", port: int = 0) -> None:
        self.front_end = front_end
        self.ctx = front_end.ctx
        self.host = host
        self.port = port
        self.app = web.Application(middlewares=[self._fault_middleware])
        self.app.router.add_get(f"{CONTROL_PREFIX}/faults", self._get_faults)
        self.app.router.add_post(f"{CONTROL_PREFIX}/faults", self._post_faults)
        self.app.router.add_get(f"{CONTROL_PREFIX}/state", self._get_state)
        install_control_routes(self)
        front_end.setup_routes(self.app)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._reopen: asyncio.Task[None] | None = None
        self.ctx.faults.drop_ws_hooks.append(self._drop_all)
        self.ctx.faults.refuse_hooks.append(self._refuse)
        self.ctx.exchange.add_listener(front_end.on_private_event)
        for book in self.ctx.exchange.books.values():
            book.listeners.append(front_end.on_book_update)

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_public_url(self) -> str:
        return f"ws://{self.host}:{self.port}{self.front_end.ws_public_path}"

    @property
    def ws_private_url(self) -> str:
        return f"ws://{self.host}:{self.port}{self.front_end.ws_private_path}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await self._bind()
        await self.front_end.start()

    async def _bind(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await self._site.start()
        server = self._site._server
        if self.port == 0 and isinstance(server, asyncio.base_events.Server):
            self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._reopen is not None:
            self._reopen.cancel()
        await self.front_end.stop()
        for session in list(self.ctx.sessions):
            session.abort()
        if self._runner is not None:
            await self._runner.cleanup()

    def _drop_all(self) -> None:
        sessions = list(self.ctx.sessions)
        for session in sessions:
            session.abort()
        self.ctx.faults.note_drop_applied(len(sessions))

    def _refuse(self, seconds: float) -> None:
        self._reopen = asyncio.get_running_loop().create_task(self._refuse_for(seconds))

    async def _refuse_for(self, seconds: float) -> None:
        if self._site is not None:
            await self._site.stop()
        self._drop_all()
        self.ctx.faults.note_refuse_applied()
        await asyncio.sleep(seconds)
        await self._bind()

    @web.middleware
    async def _fault_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        faults = self.ctx.faults
        if request.headers.get("Upgrade", "").lower() != "websocket" and faults.take_rate_limit():
            return self.front_end.rate_limit_response(request)
        order_entry = (request.method, request.path) in self.front_end.order_entry_routes
        if order_entry and faults.take_execute_then_timeout():
            await handler(request)
            if request.transport is not None:
                request.transport.abort()
            raise ConnectionResetError("execute-then-timeout fault")
        response = await handler(request)
        delay_ms = faults.take_delay_ms()
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)
        return response

    async def _get_faults(self, request: web.Request) -> web.Response:
        faults = self.ctx.faults
        records = [
            {"kind": r.kind.value, "event": r.event, "ts_ms": r.ts_ms, "params": r.params}
            for r in faults.log
        ]
        return web.json_response({"counters": faults.counters(), "log": records})

    async def _post_faults(self, request: web.Request) -> web.Response:
        try:
            spec = await request.json()
            self.ctx.faults.apply(spec)
        except (ValueError, TypeError, KeyError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True, "counters": self.ctx.faults.counters()})

    async def _get_state(self, request: web.Request) -> web.Response:
        exchange = self.ctx.exchange
        account_id = request.query.get("account", self.ctx.credentials.api_key)
        if account_id not in exchange.accounts:
            return web.json_response({"error": f"no account {account_id}"}, status=404)
        wallet = exchange.wallet(account_id)
        positions = [
            {
                "symbol": p.symbol,
                "side": p.side,
                "qty": fmt(p.qty),
                "entry_price": fmt(p.entry_price),
            }
            for p in exchange.positions(account_id)
        ]
        orders = [
            {"order_id": o.order_id, "client_id": o.client_id, "symbol": o.symbol,
             "status": o.status.value, "qty": fmt(o.qty), "filled_qty": fmt(o.filled_qty)}
            for o in exchange.account_orders(account_id, open_only=True)
        ]  # fmt: skip
        return web.json_response(
            {
                "account": account_id,
                "balance_usdt": fmt(wallet.balance_usdt),
                "available_usdt": fmt(wallet.available_usdt),
                "positions": positions,
                "open_orders": orders,
                "ledger_entries": len(exchange.ledger(account_id)),
            }
        )
