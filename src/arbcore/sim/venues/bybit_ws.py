"""Bybit v5 WebSockets: public linear (orderbook.N, tickers) and private (auth, account topics)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from arbcore.sim.events import (
    ExecutionEvent,
    OrderEvent,
    PositionEvent,
    PrivateEvent,
    WalletEvent,
)
from arbcore.sim.market import BookUpdate, DepthView, Level, SimBook
from arbcore.sim.server import WsSession
from arbcore.sim.venues import bybit_encode as enc
from arbcore.sim.venues.bybit_errors import sign_hex

if TYPE_CHECKING:
    from arbcore.sim.venues.bybit import BybitFrontEnd

BOOK_DEPTHS = (1, 50, 200, 1000)  # linear depths on the official v5 page; 500 is gone
TICKER_PUSH_S = 0.1
DEPTH1_RESEND_S = 3.0
TICKER_WS_FIELDS = (
    "symbol", "lastPrice", "markPrice", "indexPrice", "bid1Price", "bid1Size", "ask1Price",
    "ask1Size", "fundingRate", "nextFundingTime", "openInterest", "openInterestValue",
    "turnover24h", "volume24h", "price24hPcnt", "highPrice24h", "lowPrice24h", "prevPrice24h",
)  # fmt: skip
PRIVATE_TOPICS = {
    "order": "order", "order.linear": "order",
    "execution": "execution", "execution.linear": "execution",
    "execution.fast": "execution.fast", "execution.fast.linear": "execution.fast",
    "position": "position", "position.linear": "position", "wallet": "wallet",
}  # fmt: skip


@dataclass(slots=True)
class BookFeed:
    """One orderbook.{depth}.{symbol} topic: its view, its update id `u`, its subscribers."""

    topic: str
    view: DepthView
    u: int = 0
    subscribers: set[WsSession] = field(default_factory=set)
    last_push_s: float = 0.0


@dataclass(slots=True)
class TickerFeed:
    topic: str
    symbol: str
    last: dict[str, str] = field(default_factory=dict)
    subscribers: set[WsSession] = field(default_factory=set)


def _levels(book: SimBook, levels: list[Level]) -> list[list[str]]:
    return [[book.price_text(t), book.qty_text(q)] for t, q in levels]


class BybitWs:
    """Both sockets of the Bybit front end and the fan-out of book, ticker and private updates."""

    def __init__(self, front: BybitFrontEnd) -> None:
        self.front = front
        self.exchange = front.exchange
        self.books: dict[str, BookFeed] = {}
        self.tickers: dict[str, TickerFeed] = {}
        self.private_sessions: set[WsSession] = set()
        self._task: asyncio.Task[None] | None = None

    # sockets ---------------------------------------------------------------------------
    async def public_handler(self, request: web.Request) -> web.WebSocketResponse:
        return await self._serve(request, private=False)

    async def private_handler(self, request: web.Request) -> web.WebSocketResponse:
        return await self._serve(request, private=True)

    async def _serve(self, request: web.Request, private: bool) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        session = WsSession(ws, self.front.ctx, private)
        session.state["conn_id"] = str(uuid.uuid4())
        if private:
            self.private_sessions.add(session)
        try:
            await session.run(self._on_text, self.front.ws_idle_timeout_s)
        finally:
            self.private_sessions.discard(session)
            for book_feed in self.books.values():
                book_feed.subscribers.discard(session)
            for ticker_feed in self.tickers.values():
                ticker_feed.subscribers.discard(session)
        return ws

    async def _on_text(self, session: WsSession, text: str) -> None:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            msg = None
        if not isinstance(msg, dict):
            self._ack(session, {}, "", False, "error:request not supported")
            return
        op = msg.get("op")
        if op == "ping":
            self._pong(session, msg)
        elif op == "auth" and session.private:
            self._auth(session, msg)
        elif op in ("subscribe", "unsubscribe"):
            args = msg.get("args")
            topics = [str(a) for a in args] if isinstance(args, list) else []
            if session.private:
                self._private_sub(session, msg, str(op), topics)
            else:
                self._public_sub(session, msg, str(op), topics)
        else:
            self._ack(session, msg, str(op or ""), False, f"error:handler not found,op:{op}")

    def _ack(self, session: WsSession, msg: dict[str, Any], op: str, ok: bool, text: str) -> None:
        frame: dict[str, Any] = {"success": ok, "ret_msg": text,
                                 "conn_id": session.state["conn_id"], "op": op}  # fmt: skip
        if "req_id" in msg:
            frame["req_id"] = msg["req_id"]
        session.send_json(frame)

    def _pong(self, session: WsSession, msg: dict[str, Any]) -> None:
        if session.private:
            frame: dict[str, Any] = {"op": "pong", "args": [str(time.time_ns() // 1_000_000)],
                                     "conn_id": session.state["conn_id"]}  # fmt: skip
            if "req_id" in msg:
                frame = {"req_id": msg["req_id"], **frame}
            session.send_json(frame)
        else:
            self._ack(session, msg, "ping", True, "pong")

    def _auth(self, session: WsSession, msg: dict[str, Any]) -> None:
        args = msg.get("args")
        creds = self.front.ctx.credentials
        if not isinstance(args, list) or len(args) != 3:
            self._ack(session, msg, "auth", False, "Params Error")
            return
        key, expires, signature = str(args[0]), args[1], str(args[2])
        try:
            expires_ms = int(expires)
        except (TypeError, ValueError):
            self._ack(session, msg, "auth", False, "Params Error")
            return
        if expires_ms <= time.time_ns() // 1_000_000:
            self._ack(session, msg, "auth", False, "Params Error")
            return
        account_id = self.front.account_for_key(key)
        expected = sign_hex(creds.secret, f"GET/realtime{expires_ms}")
        if account_id is None or signature != expected:
            self._ack(session, msg, "auth", False, "error:USVC1111")
            return
        session.account_id = account_id
        self._ack(session, msg, "auth", True, "")

    def _reject_duplicates(
        self, session: WsSession, msg: dict[str, Any], op: str, topics: list[str]
    ) -> bool:
        """Bybit refuses a whole subscribe batch when any topic is already subscribed."""
        if op != "subscribe":
            return False
        again = [t for t in topics if t in session.topics]
        if again:
            self._ack(session, msg, op, False, f"error:already subscribed,topic:{again[0]}")
        return bool(again)

    def _private_sub(
        self, session: WsSession, msg: dict[str, Any], op: str, topics: list[str]
    ) -> None:
        if session.account_id is None:
            self._ack(session, msg, op, False, "Request not authorized")
            return
        bad = [t for t in topics if t not in PRIVATE_TOPICS]
        if bad:
            self._ack(session, msg, op, False, f"error:handler not found,topic:{bad[0]}")
            return
        if self._reject_duplicates(session, msg, op, topics):
            return
        if op == "subscribe":
            session.topics.update(topics)
        else:
            session.topics.difference_update(topics)
        self._ack(session, msg, op, True, "")

    def _public_sub(
        self, session: WsSession, msg: dict[str, Any], op: str, topics: list[str]
    ) -> None:
        bad = [t for t in topics if not self._valid_public(t)]
        if bad:
            self._ack(session, msg, op, False, f"error:handler not found,topic:{bad[0]}")
            return
        if self._reject_duplicates(session, msg, op, topics):
            return
        self._ack(session, msg, op, True, "")
        for topic in topics:
            if op == "unsubscribe":
                session.topics.discard(topic)
                feed: BookFeed | TickerFeed | None = self.books.get(topic) or self.tickers.get(
                    topic
                )
                if feed is not None:
                    feed.subscribers.discard(session)
                continue
            session.topics.add(topic)
            if topic.startswith("orderbook."):
                self._subscribe_book(session, topic)
            else:
                self._subscribe_ticker(session, topic)

    def _valid_public(self, topic: str) -> bool:
        parts = topic.split(".")
        if len(parts) == 3 and parts[0] == "orderbook":
            return (
                parts[1].isdigit()
                and int(parts[1]) in BOOK_DEPTHS
                and (parts[2] in self.exchange.by_venue_symbol)
            )
        return (
            len(parts) == 2 and parts[0] == "tickers" and parts[1] in self.exchange.by_venue_symbol
        )

    # order books -----------------------------------------------------------------------
    def _subscribe_book(self, session: WsSession, topic: str) -> None:
        _, depth_text, venue_symbol = topic.split(".")
        symbol = self.exchange.by_venue_symbol[venue_symbol].symbol
        feed = self.books.get(topic)
        if feed is None:
            feed = BookFeed(topic, DepthView(self.exchange.books[symbol], int(depth_text)))
            self.books[topic] = feed
        if not feed.subscribers:
            feed.view.snapshot()
            feed.u += 1
        feed.subscribers.add(session)
        session.send_json(self._book_frame(feed, "snapshot", *feed.view.levels()))

    def _book_frame(self, feed: BookFeed, kind: str, bids: list[Level], asks: list[Level]) -> Any:
        book = feed.view.book
        return {
            "topic": feed.topic,
            "type": kind,
            "ts": time.time_ns() // 1_000_000,
            "data": {
                "s": book.instrument.venue_symbol,
                "b": _levels(book, bids),
                "a": _levels(book, asks),
                "u": feed.u,
                "seq": book.seq,
            },
            "cts": book.ts_ms,
        }

    def on_book_update(self, book: SimBook, update: BookUpdate) -> None:
        for feed in self.books.values():
            if feed.view.book is not book or not feed.subscribers:
                continue
            bids, asks = feed.view.diff()
            if not bids and not asks:
                continue
            feed.u += 1
            if feed.view.depth == 1:
                frame = self._book_frame(feed, "snapshot", *feed.view.levels())
            elif self.front.ctx.faults.take_skip_sequence():
                continue
            else:
                frame = self._book_frame(feed, "delta", bids, asks)
            self._fan_out(feed.subscribers, frame)
            feed.last_push_s = time.monotonic()

    def restart_books(self) -> None:
        """What a Bybit service restart looks like: every feed sends a snapshot with u=1."""
        for feed in self.books.values():
            feed.u = 1
            if feed.subscribers:
                frame = self._book_frame(feed, "snapshot", *feed.view.snapshot())
                self._fan_out(feed.subscribers, frame)

    @staticmethod
    def _fan_out(sessions: set[WsSession], frame: Any) -> None:
        text = orjson.dumps(frame).decode()
        for session in sessions:
            session.send(text)

    # tickers ---------------------------------------------------------------------------
    def _ticker_fields(self, symbol: str) -> dict[str, str]:
        full = enc.ticker_json(self.exchange, symbol)
        return {k: full[k] for k in TICKER_WS_FIELDS}

    def _subscribe_ticker(self, session: WsSession, topic: str) -> None:
        symbol = self.exchange.by_venue_symbol[topic.split(".")[1]].symbol
        feed = self.tickers.setdefault(topic, TickerFeed(topic, symbol))
        feed.subscribers.add(session)
        data = self._ticker_fields(symbol)
        feed.last = dict(data)
        book = self.exchange.books[symbol]
        frame = {"topic": topic, "type": "snapshot", "data": data, "cs": book.seq,
                 "ts": time.time_ns() // 1_000_000}  # fmt: skip
        session.send_json(frame)

    def _push_tickers(self) -> None:
        for feed in self.tickers.values():
            if not feed.subscribers:
                continue
            data = self._ticker_fields(feed.symbol)
            changed = {k: v for k, v in data.items() if feed.last.get(k) != v}
            if not changed:
                continue
            feed.last = data
            book = self.exchange.books[feed.symbol]
            frame = {"topic": feed.topic, "type": "delta",
                     "data": {"symbol": data["symbol"], **changed}, "cs": book.seq,
                     "ts": time.time_ns() // 1_000_000}  # fmt: skip
            self._fan_out(feed.subscribers, frame)

    def _resend_depth1(self) -> None:
        now = time.monotonic()
        for feed in self.books.values():
            if (
                feed.view.depth == 1
                and feed.subscribers
                and now - feed.last_push_s >= DEPTH1_RESEND_S
            ):
                self._fan_out(
                    feed.subscribers, self._book_frame(feed, "snapshot", *feed.view.levels())
                )
                feed.last_push_s = now

    async def _periodic(self) -> None:
        while True:
            await asyncio.sleep(TICKER_PUSH_S)
            self._push_tickers()
            self._resend_depth1()

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._periodic())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # private ---------------------------------------------------------------------------
    def on_private_event(self, account_id: str, event: PrivateEvent) -> None:
        sessions = [s for s in self.private_sessions if s.account_id == account_id and s.topics]
        if not sessions:
            return
        if isinstance(event, OrderEvent):
            family, item = (
                "order",
                {"category": "linear", **enc.order_json(event.order, self.exchange)},
            )
        elif isinstance(event, ExecutionEvent):
            family = "execution"
            item = {"category": "linear", **enc.execution_json(event.fill, self.exchange)}
        elif isinstance(event, PositionEvent):
            family, item = "position", enc.position_json(event.position, self.exchange, ws=True)
        elif isinstance(event, WalletEvent):
            modes = self.exchange.account(account_id).margin_mode.values()
            family, item = "wallet", enc.wallet_json(event.wallet, enc.uta_isolated(modes))
        else:
            return
        now_ms = time.time_ns() // 1_000_000
        for session in sessions:
            for topic in sorted(session.topics):
                kind = PRIVATE_TOPICS[topic]
                if kind == family or (kind == "execution.fast" and family == "execution"):
                    frame = {"id": str(uuid.uuid4()), "topic": topic, "creationTime": now_ms,
                             "data": [item]}  # fmt: skip
                    session.send_json(frame)
