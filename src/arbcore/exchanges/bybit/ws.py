"""Bybit v5 streams: public order books validated by `u` continuity, private account updates."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import aiohttp
import msgspec
import orjson

from arbcore.core.enums import Venue
from arbcore.core.errors import AuthError
from arbcore.core.models import Balance, Fill, OrderResult, Position
from arbcore.exchanges.base import (
    BookListener,
    BookStateListener,
    ConnectionListener,
)
from arbcore.exchanges.bybit import auth
from arbcore.exchanges.bybit import constants as C
from arbcore.exchanges.bybit import schemas as S
from arbcore.exchanges.bybit.parsing import (
    is_trade,
    parse_execution,
    parse_order,
    parse_position,
)
from arbcore.exchanges.bybit.wallet import parse_wallet_push
from arbcore.exchanges.transport.signing import ServerClock
from arbcore.exchanges.transport.ws import Backoff, Frame, WsSession
from arbcore.market.book import L2Book

log = logging.getLogger(__name__)
VENUE = Venue.BYBIT
_PUBLIC = msgspec.json.Decoder(S.PublicFrame)
_PRIVATE = msgspec.json.Decoder(S.PrivateFrame)
_ORDERS = msgspec.json.Decoder(list[S.OrderInfo])
_EXECUTIONS = msgspec.json.Decoder(list[S.Execution])
_POSITIONS = msgspec.json.Decoder(list[S.PositionInfo])
_WALLETS = msgspec.json.Decoder(list[S.WalletAccount])
_PING = '{"req_id":"ping","op":"ping"}'
_ARGS_PER_FRAME = 10
AUTH_TIMEOUT_S = 5.0
RESYNC_TIMEOUT_S = 5.0  # a resubscribe that brings no snapshot escalates to a reconnect


def _op_frames(op: str, topics: Sequence[str]) -> list[str]:
    return [
        orjson.dumps(
            {"req_id": op, "op": op, "args": list(topics[i : i + _ARGS_PER_FRAME])}
        ).decode()
        for i in range(0, len(topics), _ARGS_PER_FRAME)
    ]


class BybitBookStream:
    """`orderbook.{depth}.{symbol}` for many symbols on one public socket.

    A snapshot (or any message with `u == 1`, a server restart) replaces the book. Each delta
    must carry `u == previous u + 1`; a gap (or a crossed book) marks the book stale,
    resubscribes the topic and ignores deltas until the fresh snapshot makes it whole.
    """

    ping_interval_s: float | None = C.PING_INTERVAL_S
    idle_timeout_s: float | None = C.IDLE_TIMEOUT_S

    def __init__(
        self,
        url: str,
        *,
        depth: int = C.BOOK_DEPTH,
        backoff: Backoff | None = None,
        session: aiohttp.ClientSession | None = None,
        idle_timeout_s: float | None = C.IDLE_TIMEOUT_S,
    ) -> None:
        self.depth = depth
        self.idle_timeout_s = idle_timeout_s
        self.resync_timeout_s = RESYNC_TIMEOUT_S
        self.books: dict[str, L2Book] = {}
        self.gaps = 0
        self.resyncs = 0
        self._awaiting_snapshot: set[str] = set()
        self._book_listeners: list[BookListener] = []
        self._state_listeners: list[BookStateListener] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.ws = WsSession(VENUE, "public", url, self, backoff=backoff, session=session)

    def add_listeners(self, on_book: BookListener, on_state: BookStateListener | None) -> None:
        self._book_listeners.append(on_book)
        if on_state is not None:
            self._state_listeners.append(on_state)

    def add_connection_listener(self, listener: ConnectionListener) -> None:
        self.ws.add_listener(listener)

    async def subscribe(self, symbols: Sequence[str]) -> None:
        for symbol in symbols:
            if symbol not in self.books:
                self.books[symbol] = L2Book(VENUE, symbol, max_depth=self.depth)
                self._awaiting_snapshot.add(symbol)
        self.ws.start()
        await self.ws.subscribe([C.book_topic(s, self.depth) for s in symbols])

    async def close(self) -> None:
        await self.ws.close()
        for task in list(self._tasks):
            task.cancel()

    # ---- WsHandler ------------------------------------------------------------------------

    async def on_open(self, ws: WsSession) -> None:
        return None

    def subscribe_frames(self, topics: Sequence[str]) -> list[str]:
        return _op_frames("subscribe", topics)

    def unsubscribe_frames(self, topics: Sequence[str]) -> list[str]:
        return _op_frames("unsubscribe", topics)

    def ping_frame(self) -> Frame | None:
        return _PING

    def auto_reply(self, data: Frame) -> Frame | None:
        return None

    def on_close(self, reason: str) -> None:
        for symbol in self.books:
            self._go_stale(symbol, f"disconnected: {reason}")

    def on_frame(self, data: Frame, recv_ns: int) -> None:
        frame = _PUBLIC.decode(data)
        book_data = frame.data
        if book_data is None:
            if frame.success is False:
                log.warning("bybit public op %s failed: %s", frame.op, frame.ret_msg)
            return
        symbol = book_data.s
        book = self.books.get(symbol)
        if book is None:
            return
        if frame.type == "snapshot" or book_data.u == 1:
            was_stale = book.stale
            book.apply_snapshot(book_data.b, book_data.a, book_data.u, frame.ts, recv_ns)
            self._awaiting_snapshot.discard(symbol)
            if was_stale:
                self._notify_state(symbol, False, "")
        elif symbol in self._awaiting_snapshot:
            return
        elif book_data.u != book.seq + 1:
            self.gaps += 1
            self._resync(symbol, f"gap: expected u={book.seq + 1}, got u={book_data.u}")
            return
        else:
            book.apply_delta(book_data.b, book_data.a, book_data.u, frame.ts, recv_ns)
            if book.is_crossed():
                self._resync(symbol, "crossed book")
                return
        for listener in self._book_listeners:
            listener(book, recv_ns)

    # ---- internals ------------------------------------------------------------------------

    def _go_stale(self, symbol: str, reason: str) -> None:
        self._awaiting_snapshot.add(symbol)
        book = self.books[symbol]
        if not book.stale or book.stale_reason != reason:
            book.mark_stale(reason)
            self._notify_state(symbol, True, reason)

    def _resync(self, symbol: str, reason: str) -> None:
        self.resyncs += 1
        self._go_stale(symbol, reason)
        loop = asyncio.get_running_loop()
        task = loop.create_task(self.ws.resubscribe([C.book_topic(symbol, self.depth)]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        loop.call_later(self.resync_timeout_s, self._check_resynced, symbol, self.resyncs)

    def _check_resynced(self, symbol: str, resync_number: int) -> None:
        """No snapshot since the resubscribe: replace the socket (full resubscribe)."""
        if resync_number != self.resyncs or symbol not in self._awaiting_snapshot:
            return
        if self.ws.connected:
            self.ws.force_reconnect(f"{symbol}: no snapshot {self.resync_timeout_s} s after resync")

    def _notify_state(self, symbol: str, stale: bool, reason: str) -> None:
        for listener in self._state_listeners:
            listener(VENUE, symbol, stale, reason)


OrderCallback = Callable[[OrderResult], None]
FillCallback = Callable[[Fill], None]
PositionCallback = Callable[[Position], None]
BalanceCallback = Callable[[Balance], None]


class BybitPrivateStream:
    """Authenticated `/v5/private` socket: order, execution, position and wallet topics."""

    ping_interval_s: float | None = C.PING_INTERVAL_S
    idle_timeout_s: float | None = C.IDLE_TIMEOUT_S

    def __init__(
        self,
        url: str,
        api_key: str,
        secret: str,
        clock: ServerClock,
        *,
        backoff: Backoff | None = None,
        session: aiohttp.ClientSession | None = None,
        idle_timeout_s: float | None = C.IDLE_TIMEOUT_S,
        account_type: str | None = None,
    ) -> None:
        self.idle_timeout_s = idle_timeout_s
        # UNIFIED | CONTRACT: the wallet whose pushes count; None takes UNIFIED, else CONTRACT.
        self.account_type = account_type
        self.api_key = api_key
        self.secret = secret
        self.clock = clock
        self.on_order: list[OrderCallback] = []
        self.on_fill: list[FillCallback] = []
        self.on_position: list[PositionCallback] = []
        self.on_balance: list[BalanceCallback] = []
        self._auth_reply: asyncio.Future[S.PrivateFrame] | None = None
        self.ws = WsSession(VENUE, "private", url, self, backoff=backoff, session=session)

    async def start(self, timeout_s: float = 10.0) -> None:
        self.ws.start()
        await self.ws.subscribe(list(C.PRIVATE_TOPICS))
        await self.ws.wait_connected(timeout_s)

    async def close(self) -> None:
        await self.ws.close()

    # ---- WsHandler ------------------------------------------------------------------------

    async def on_open(self, ws: WsSession) -> None:
        loop = asyncio.get_running_loop()
        self._auth_reply = loop.create_future()
        expires_ms = self.clock.now_ms() + C.WS_AUTH_EXPIRES_MS
        await ws.send(auth.ws_auth_frame(self.api_key, self.secret, expires_ms))
        reply = await asyncio.wait_for(self._auth_reply, AUTH_TIMEOUT_S)
        if not reply.success:
            raise AuthError(VENUE, f"private stream auth refused: {reply.ret_msg}")

    def subscribe_frames(self, topics: Sequence[str]) -> list[str]:
        return _op_frames("subscribe", topics)

    def unsubscribe_frames(self, topics: Sequence[str]) -> list[str]:
        return _op_frames("unsubscribe", topics)

    def ping_frame(self) -> Frame | None:
        return _PING

    def auto_reply(self, data: Frame) -> Frame | None:
        return None

    def on_close(self, reason: str) -> None:
        if self._auth_reply is not None and not self._auth_reply.done():
            self._auth_reply.cancel()

    def on_frame(self, data: Frame, recv_ns: int) -> None:
        frame = _PRIVATE.decode(data)
        if frame.op == "auth":
            if self._auth_reply is not None and not self._auth_reply.done():
                self._auth_reply.set_result(frame)
            return
        topic = frame.topic
        if not topic:
            if frame.success is False:
                log.warning("bybit private op %s failed: %s", frame.op, frame.ret_msg)
            return
        if topic.startswith("order"):
            for order in _ORDERS.decode(frame.data):
                if order.category in ("", C.CATEGORY):
                    result = parse_order(order)
                    for cb in self.on_order:
                        cb(result)
        elif topic.startswith("execution"):
            for execution in _EXECUTIONS.decode(frame.data):
                if execution.category in ("", C.CATEGORY) and is_trade(execution):
                    fill = parse_execution(execution)
                    for fill_cb in self.on_fill:
                        fill_cb(fill)
        elif topic.startswith("position"):
            for info in _POSITIONS.decode(frame.data):
                position = parse_position(info, frame.creationTime, keep_flat=True)
                if position is not None:
                    for pos_cb in self.on_position:
                        pos_cb(position)
        elif topic == C.TOPIC_WALLET:
            balance = parse_wallet_push(
                _WALLETS.decode(frame.data), frame.creationTime, self.account_type
            )
            if balance is None:
                return
            for bal_cb in self.on_balance:
                bal_cb(balance)
