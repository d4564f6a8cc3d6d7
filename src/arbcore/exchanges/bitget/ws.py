"""Bitget v2 WebSocket handlers: `books` stream with CRC32 validation, private login + pushes.

The transport (`WsSession`) keeps the socket alive; these handlers supply the Bitget frames
(string "ping"/"pong", subscribe args, login) and turn pushes into books and core records.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import msgspec

from arbcore.core import errors
from arbcore.core.models import Balance, Fill, OrderResult, Position
from arbcore.exchanges.base import BookListener, BookStateListener
from arbcore.exchanges.bitget import constants as c
from arbcore.exchanges.bitget import parsing, wallet
from arbcore.exchanges.bitget import schemas as s
from arbcore.exchanges.transport.ws import Frame, WsSession
from arbcore.market.book import L2Book

log = logging.getLogger(__name__)

_HEAD = msgspec.json.Decoder(s.WsHead)
_BOOK = msgspec.json.Decoder(s.WsBookPush)
_ORDERS = msgspec.json.Decoder(s.WsOrderPush)
_FILLS = msgspec.json.Decoder(s.WsFillPush)
_POSITIONS = msgspec.json.Decoder(s.WsPositionPush)
_ACCOUNT = msgspec.json.Decoder(s.WsAccountPush)
_ENCODE = msgspec.json.Encoder()

SUBSCRIBE_ARGS_PER_FRAME = 20
# Bitget sends compact JSON with `action` first; such frames skip the routing peek.
_BOOK_PUSH_PREFIX = (
    b'{"action":"snapshot","arg":{"instType":',
    b'{"action":"update","arg":{"instType":',
)


def book_topic(venue_symbol: str) -> str:
    return f"{c.BOOK_CHANNEL}:{venue_symbol}"


def _op_frames(op: str, args: list[dict[str, str]]) -> list[str]:
    return [
        _ENCODE.encode({"op": op, "args": args[i : i + SUBSCRIBE_ARGS_PER_FRAME]}).decode()
        for i in range(0, len(args), SUBSCRIBE_ARGS_PER_FRAME)
    ]


class _BitgetHandlerBase:
    ping_interval_s: float | None = c.PING_INTERVAL_S
    idle_timeout_s: float | None = c.PING_INTERVAL_S * 3

    def __init__(self, product_type: str) -> None:
        self.product_type = product_type
        self.pongs = 0
        self.errors: list[tuple[str, str]] = []

    def _arg(self, topic: str) -> dict[str, str]:
        channel, _, inst_id = topic.partition(":")
        return {"instType": self.product_type, "channel": channel, "instId": inst_id}

    def subscribe_frames(self, topics: Sequence[str]) -> list[str]:
        return _op_frames("subscribe", [self._arg(t) for t in topics])

    def unsubscribe_frames(self, topics: Sequence[str]) -> list[str]:
        return _op_frames("unsubscribe", [self._arg(t) for t in topics])

    def ping_frame(self) -> Frame | None:
        return c.PING_TEXT

    def auto_reply(self, data: Frame) -> Frame | None:
        return None

    def _is_pong(self, data: Frame) -> bool:
        if data == c.PONG_TEXT or data == c.PONG_TEXT.encode():
            self.pongs += 1
            return True
        return False


class BookStream(_BitgetHandlerBase):
    """Maintains one L2Book per subscribed symbol from the `books` channel.

    A snapshot replaces the book; an update is applied, then the CRC32 of the top 25 levels
    (original strings) is compared with the frame's signed `checksum`. A mismatch, a `seq`
    that does not increase, or an update before any snapshot marks the book stale and
    resubscribes for a fresh snapshot; updates are ignored until it arrives. With
    `strict_seq`, any jump in `seq` (not just a decrease) counts as a gap as well.
    """

    def __init__(
        self,
        product_type: str,
        to_core_symbol: Callable[[str], str],
        on_book: BookListener,
        on_state: BookStateListener | None = None,
        *,
        strict_seq: bool = False,
    ) -> None:
        super().__init__(product_type)
        self.to_core_symbol = to_core_symbol
        self.on_book = on_book
        self.on_state = on_state
        self.strict_seq = strict_seq
        self.books: dict[str, L2Book] = {}  # venue symbol -> book
        self.session: WsSession | None = None
        self.resyncs = 0
        self.checksum_failures = 0
        self.gaps = 0
        self._resyncing: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def book_for(self, venue_symbol: str) -> L2Book:
        book = self.books.get(venue_symbol)
        if book is None:
            book = L2Book(c.VENUE, self.to_core_symbol(venue_symbol), keep_text=True)
            self.books[venue_symbol] = book
        return book

    async def on_open(self, ws: WsSession) -> None:
        self.session = ws
        self._resyncing.clear()

    def on_close(self, reason: str) -> None:
        for book in self.books.values():
            if not book.stale:
                book.mark_stale(f"disconnected: {reason}")
                self._notify(book, True, book.stale_reason)

    def on_frame(self, data: Frame, recv_ns: int) -> None:
        if self._is_pong(data):
            return
        raw = data.encode() if isinstance(data, str) else data
        if not raw.startswith(_BOOK_PUSH_PREFIX):  # fast path: compact `books` pushes
            head = _HEAD.decode(raw)
            if head.event == "error":
                self.errors.append((str(head.code), head.msg))
                log.warning("bitget public ws error %s: %s", head.code, head.msg)
            if head.event or head.arg is None or head.arg.channel != c.BOOK_CHANNEL:
                return
        push = _BOOK.decode(raw)
        if push.arg.channel != c.BOOK_CHANNEL:
            return
        venue_symbol = push.arg.instId
        for item in push.data:
            self._apply(venue_symbol, push.action, item, recv_ns)

    def _apply(self, venue_symbol: str, action: str, item: s.WsBookData, recv_ns: int) -> None:
        book = self.book_for(venue_symbol)
        ts_ms = parsing.ms(item.ts)
        if action == "snapshot":
            was_stale = book.stale
            book.apply_snapshot(item.bids, item.asks, item.seq, ts_ms, recv_ns)
            self._resyncing.discard(venue_symbol)
            if was_stale:
                self._notify(book, False, "")
            self.on_book(book, recv_ns)
            return
        if book.stale:
            return  # waiting for the snapshot a resubscribe brings
        if (
            item.seq
            and book.seq
            and (item.seq <= book.seq or (self.strict_seq and item.seq != book.seq + 1))
        ):
            self.gaps += 1
            self.resync(venue_symbol, f"seq gap: {book.seq} -> {item.seq}")
            return
        book.apply_delta(item.bids, item.asks, item.seq, ts_ms, recv_ns)
        bids, asks = book.text_levels(c.CHECKSUM_LEVELS)
        if item.checksum and parsing.book_checksum(bids, asks, c.CHECKSUM_LEVELS) != item.checksum:
            self.checksum_failures += 1
            self.resync(venue_symbol, f"checksum mismatch at seq {item.seq}")
            return
        self.on_book(book, recv_ns)

    def resync(self, venue_symbol: str, reason: str) -> None:
        """Drop the book, mark it stale, and resubscribe for a new snapshot."""
        book = self.book_for(venue_symbol)
        book.clear(reason)
        self._notify(book, True, reason)
        if venue_symbol in self._resyncing:
            return
        self._resyncing.add(venue_symbol)
        self.resyncs += 1
        if self.session is not None:
            task = asyncio.get_running_loop().create_task(
                self.session.resubscribe([book_topic(venue_symbol)])
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _notify(self, book: L2Book, stale: bool, reason: str) -> None:
        if self.on_state is not None:
            self.on_state(c.VENUE, book.symbol, stale, reason)


class PrivateStream(_BitgetHandlerBase):
    """Logs in on every (re)connect, then dispatches orders / fill / positions / account."""

    def __init__(
        self,
        product_type: str,
        credentials_login: Callable[[], dict[str, object]],
        to_core_symbol: Callable[[str], str],
        *,
        on_order: Callable[[OrderResult], None],
        on_fill: Callable[[Fill], None] | None = None,
        on_position: Callable[[Position], None] | None = None,
        on_balance: Callable[[Balance], None] | None = None,
        margin_coin: str = "USDT",
        login_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(product_type)
        self.login_message = credentials_login
        self.to_core_symbol = to_core_symbol
        self.on_order = on_order
        self.on_fill = on_fill
        self.on_position = on_position
        self.on_balance = on_balance
        self.margin_coin = margin_coin
        self.login_timeout_s = login_timeout_s
        self.logged_in = asyncio.Event()
        self.login_attempted = asyncio.Event()  # set after each login answer (ok or error)
        self.login_error: errors.ExchangeError | None = None
        self._login_waiter: asyncio.Future[None] | None = None

    async def on_open(self, ws: WsSession) -> None:
        self.logged_in.clear()
        loop = asyncio.get_running_loop()
        self._login_waiter = loop.create_future()
        await ws.send(_ENCODE.encode(self.login_message()).decode())
        try:
            await asyncio.wait_for(asyncio.shield(self._login_waiter), self.login_timeout_s)
        except errors.ExchangeError as exc:
            self.login_error = exc
            self.login_attempted.set()
            ws.force_reconnect(f"login failed: {exc}")
            return
        self.login_error = None
        self.logged_in.set()
        self.login_attempted.set()

    def on_close(self, reason: str) -> None:
        self.logged_in.clear()
        waiter = self._login_waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(
                errors.NetworkError(c.VENUE.value, f"closed before login: {reason}")
            )
            waiter.exception()

    def on_frame(self, data: Frame, recv_ns: int) -> None:
        if self._is_pong(data):
            return
        head = _HEAD.decode(data)
        if head.event:
            self._on_event(head)
            return
        channel = head.arg.channel if head.arg is not None else ""
        if channel == "orders":
            for order in _ORDERS.decode(data).data:
                self.on_order(parsing.parse_ws_order(order, self.to_core_symbol(order.instId)))
        elif channel == "fill" and self.on_fill is not None:
            for fill in _FILLS.decode(data).data:
                self.on_fill(parsing.parse_ws_fill(fill, self.to_core_symbol(fill.symbol)))
        elif channel == "positions" and self.on_position is not None:
            for pos in _POSITIONS.decode(data).data:
                self.on_position(parsing.parse_ws_position(pos, self.to_core_symbol(pos.instId)))
        elif channel == "account" and self.on_balance is not None:
            push = _ACCOUNT.decode(data)
            for acct in push.data:
                if acct.marginCoin == self.margin_coin:
                    self.on_balance(wallet.parse_ws_balance(acct, "USDT", push.ts))

    def _on_event(self, head: s.WsHead) -> None:
        waiter = self._login_waiter
        if head.event == "login":
            if waiter is not None and not waiter.done():
                if str(head.code) in ("0", "None", ""):
                    waiter.set_result(None)
                else:
                    waiter.set_exception(parsing.map_error(head.code, head.msg))
            return
        if head.event == "error":
            self.errors.append((str(head.code), head.msg))
            if waiter is not None and not waiter.done():
                waiter.set_exception(parsing.map_error(head.code, head.msg))
            log.warning("bitget private ws error %s: %s", head.code, head.msg)
