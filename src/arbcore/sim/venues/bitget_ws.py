"""Bitget v2 WebSocket protocol: ping/pong, acks, book and ticker pushes, login, private pushes."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import orjson

from arbcore.core.enums import PositionMode
from arbcore.core.quantize import fmt
from arbcore.sim.events import (
    ExecutionEvent,
    OrderEvent,
    PositionEvent,
    PrivateEvent,
    WalletEvent,
)
from arbcore.sim.faults import FaultController
from arbcore.sim.market import BookUpdate, DepthView, Level, SimBook
from arbcore.sim.matching import SimExchange
from arbcore.sim.server import WsSession
from arbcore.sim.venues import bitget_frames as fr
from arbcore.sim.venues.bitget_auth import ApiKey, verify_ws_login
from arbcore.sim.venues.bitget_book import TextLevel, book_checksum
from arbcore.sim.venues.bitget_handlers import KEEP_MARGIN_RATE

SNAPSHOT_PUSH_INTERVAL_S = 0.1  # books1/5/15 and ticker: at most one push per book per 100 ms
NOT_LOGGED_IN = (30004, "User not logged in")
BAD_REQUEST = (30016, "Param error")


@dataclass
class BookSub:
    """One book subscription of one session: the levels it was sent (books) and its args."""

    channel: str
    symbol: str
    arg: fr.Json
    view: DepthView | None = None  # incremental `books` only


@dataclass
class SessionState:
    books: dict[tuple[str, str], BookSub] = field(default_factory=dict)
    tickers: dict[str, fr.Json] = field(default_factory=dict)
    private: dict[tuple[str, str], fr.Json] = field(default_factory=dict)  # (channel, instId)


def _state(session: WsSession) -> SessionState:
    state = session.state.get("bitget")
    if not isinstance(state, SessionState):
        state = SessionState()
        session.state["bitget"] = state
    return state


def text_levels(book: SimBook, levels: list[Level]) -> list[TextLevel]:
    return [(book.price_text(t), book.qty_text(s)) for t, s in levels]


def corrupt(checksum: int) -> int:
    """A different, still signed-int32 checksum."""
    flipped = (checksum ^ 0x5A5A5A5A) & 0xFFFFFFFF
    return flipped - (1 << 32) if flipped >= (1 << 31) else flipped


class BitgetStreams:
    """WebSocket side of the Bitget front end; sessions come from the core's server."""

    def __init__(
        self,
        exchange: SimExchange,
        faults: FaultController,
        sessions: set[WsSession],
        keys: Mapping[str, ApiKey],
        account_for_key: Callable[[str], str | None],
        book_depth: int,
    ) -> None:
        self.exchange = exchange
        self.faults = faults
        self.sessions = sessions
        self.keys = keys
        self.account_for_key = account_for_key
        self.book_depth = book_depth
        self._last_snapshot_push_s: dict[str, float] = {}

    # inbound ---------------------------------------------------------------------------
    async def on_text(self, session: WsSession, text: str) -> None:
        if text == "ping":
            session.send("pong")
            return
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            session.send_json(fr.event_error(*BAD_REQUEST))
            return
        op = message.get("op") if isinstance(message, dict) else None
        args = message.get("args") if isinstance(message, dict) else None
        if op not in ("subscribe", "unsubscribe", "login") or not isinstance(args, list):
            session.send_json(fr.event_error(*BAD_REQUEST))
            return
        if op == "login":
            self._login(session, args)
            return
        for arg in args:
            if isinstance(arg, dict):
                self._subscription(session, str(op), arg)

    def _login(self, session: WsSession, args: list[object]) -> None:
        arg = args[0] if args and isinstance(args[0], dict) else {}
        if not session.private:
            session.send_json(fr.event_error(30005, "Login failed"))
            return
        failure = verify_ws_login(arg, self.keys, time.time())
        if failure is not None:
            session.send_json(fr.event_error(failure.code, failure.msg))
            return
        session.account_id = self.account_for_key(str(arg.get("apiKey", "")))
        session.send_json({"event": "login", "code": 0, "msg": ""})

    def _subscription(self, session: WsSession, op: str, raw: Mapping[str, object]) -> None:
        channel = str(raw.get("channel", ""))
        inst_id = str(raw.get("instId", ""))
        arg = fr.arg_of(channel, inst_id)
        allowed = fr.PRIVATE_CHANNELS if session.private else fr.PUBLIC_CHANNELS
        inst_type = str(raw.get("instType", "")).upper()
        if channel not in allowed or inst_type != fr.INST_TYPE:
            session.send_json(fr.event_error(30001, fr.missing_channel_msg(arg), arg))
            return
        if session.private and session.account_id is None:
            session.send_json(fr.event_error(*NOT_LOGGED_IN, arg))
            return
        symbol = None
        if inst_id != "default" or not session.private:
            inst = self.exchange.by_venue_symbol.get(inst_id)
            if inst is None:
                session.send_json(fr.event_error(30001, fr.missing_channel_msg(arg), arg))
                return
            symbol = inst.symbol
        state = _state(session)
        if op == "unsubscribe":
            state.books.pop((channel, inst_id), None)
            state.tickers.pop(inst_id, None)
            state.private.pop((channel, inst_id), None)
            session.send_json(fr.event_ack("unsubscribe", arg))
            return
        session.send_json(fr.event_ack("subscribe", arg))
        if session.private:
            state.private[(channel, inst_id)] = arg
            self._private_snapshot(session, channel, arg, symbol)
        elif channel == "ticker" and symbol is not None:
            state.tickers[inst_id] = arg
            self._push_ticker(session, arg, symbol)
        elif symbol is not None:
            self._subscribe_book(session, state, channel, symbol, arg)

    # books -----------------------------------------------------------------------------
    def _subscribe_book(
        self, session: WsSession, state: SessionState, channel: str, symbol: str, arg: fr.Json
    ) -> None:
        book = self.exchange.books[symbol]
        depth = fr.BOOK_CHANNELS[channel]
        sub = BookSub(channel, symbol, arg)
        if depth is None:
            sub.view = DepthView(book, self.book_depth)
            bids, asks = sub.view.snapshot()
        else:
            bids, asks = book.top(depth)
        state.books[(channel, str(arg["instId"]))] = sub
        self._send_book(session, sub, book, "snapshot", bids, asks, book.seq, checksum_ok=True)

    def _send_book(
        self, session: WsSession, sub: BookSub, book: SimBook, action: str,
        bids: list[Level], asks: list[Level], seq: int, checksum_ok: bool,
    ) -> None:  # fmt: skip
        if sub.view is not None:
            full_bids, full_asks = sub.view.levels()
        else:
            full_bids, full_asks = bids, asks
        checksum = book_checksum(text_levels(book, full_bids), text_levels(book, full_asks))
        if not checksum_ok:
            checksum = corrupt(checksum)
        frame = fr.book_push(
            action, sub.arg, text_levels(book, bids), text_levels(book, asks), checksum, seq,
            book.ts_ms or int(time.time() * 1000),
        )  # fmt: skip
        session.send_json(frame)

    def on_book_update(self, book: SimBook, update: BookUpdate) -> None:
        symbol = book.instrument.symbol
        subs = [
            (session, sub)
            for session in list(self.sessions)
            if not session.private and not session.closed
            for sub in _state(session).books.values()
            if sub.symbol == symbol
        ]
        incremental = [(s, b) for s, b in subs if b.view is not None]
        lost = bool(incremental) and self.faults.take_skip_sequence()
        bad_checksum = bool(incremental) and not lost and self.faults.take_corrupt_checksum()
        for session, sub in incremental:
            assert sub.view is not None
            bids, asks = sub.view.diff()
            if lost or not (bids or asks):
                continue
            self._send_book(session, sub, book, "update", bids, asks, update.seq, not bad_checksum)
        now_s = time.monotonic()
        if now_s - self._last_snapshot_push_s.get(symbol, 0.0) < SNAPSHOT_PUSH_INTERVAL_S:
            return
        self._last_snapshot_push_s[symbol] = now_s
        for session, sub in subs:
            depth = fr.BOOK_CHANNELS[sub.channel]
            if sub.view is None and depth is not None:
                bids, asks = book.top(depth)
                self._send_book(session, sub, book, "snapshot", bids, asks, update.seq, True)
        for session in list(self.sessions):
            arg = _state(session).tickers.get(book.instrument.venue_symbol)
            if arg is not None and not session.closed:
                self._push_ticker(session, arg, symbol)

    def _push_ticker(self, session: WsSession, arg: fr.Json, symbol: str) -> None:
        now = int(time.time() * 1000)
        row = self.ticker_fields(symbol, now)
        session.send_json(fr.ticker_push(arg, row, now))

    def ticker_fields(self, symbol: str, now_ms: int) -> fr.Json:
        inst = self.exchange.instruments[symbol]
        book = self.exchange.books[symbol]
        bid, ask = book.best_bid(), book.best_ask()
        last = fmt(self.exchange.mark_price(symbol))
        rate = fmt(self.exchange.funding_rates[symbol])
        return {
            "instId": inst.venue_symbol, "lastPr": last,
            "bidPr": book.price_text(bid) if bid is not None else "",
            "askPr": book.price_text(ask) if ask is not None else "",
            "bidSz": book.qty_text(book.bids[bid]) if bid is not None else "",
            "askSz": book.qty_text(book.asks[ask]) if ask is not None else "",
            "open24h": last, "high24h": last, "low24h": last, "change24h": "0",
            "fundingRate": rate, "nextFundingTime": str(self.exchange.next_funding_ms[symbol]),
            "markPrice": last, "indexPrice": last, "holdingAmount": "0", "baseVolume": "0",
            "quoteVolume": "0", "openUtc": last, "symbolType": 1, "symbol": inst.venue_symbol,
            "deliveryPrice": "0", "ts": str(now_ms),
        }  # fmt: skip

    # private ---------------------------------------------------------------------------
    def _private_snapshot(
        self, session: WsSession, channel: str, arg: fr.Json, symbol: str | None
    ) -> None:
        account_id = session.account_id
        if account_id is None:
            return
        now = int(time.time() * 1000)
        if channel == "account":
            wallet = self.exchange.wallet(account_id)
            session.send_json(fr.private_push(arg, [fr.account_row(wallet)], now))
        elif channel == "positions":
            views = [
                v
                for v in self.exchange.positions(account_id)
                if symbol is None or v.symbol == symbol
            ]
            rows = [fr.position_row(v, KEEP_MARGIN_RATE) for v in views]
            session.send_json(fr.private_push(arg, rows, now))

    def on_private_event(self, account_id: str, event: PrivateEvent) -> None:
        channel, symbol, rows = self._private_rows(account_id, event)
        if not channel:
            return
        now = int(time.time() * 1000)
        for session in list(self.sessions):
            if not session.private or session.closed or session.account_id != account_id:
                continue
            subs = _state(session).private
            for inst_id in ("default", symbol):
                arg = subs.get((channel, inst_id))
                if arg is not None:
                    session.send_json(fr.private_push(arg, rows, now))

    def _private_rows(self, account_id: str, event: PrivateEvent) -> tuple[str, str, list[fr.Json]]:
        account = self.exchange.accounts.get(account_id)
        mode = account.position_mode if account is not None else PositionMode.ONE_WAY
        if isinstance(event, OrderEvent) and account is not None:
            order = event.order
            last = order.fills[-1] if order.fills else None
            row = fr.order_row(
                order, last, account.leverage_of(order.symbol),
                account.margin_mode_of(order.symbol), mode,
            )  # fmt: skip
            return "orders", order.symbol, [row]
        if isinstance(event, ExecutionEvent) and not event.fill.is_funding:
            fill = event.fill
            parent = self.exchange.orders.get(fill.order_id)
            reduce_only = parent.reduce_only if parent is not None else False
            return "fill", fill.symbol, [fr.fill_row(fill, reduce_only, mode)]
        if isinstance(event, PositionEvent):
            # the channel pushes every open position of the account (empty list when flat)
            rows = [
                fr.position_row(v, KEEP_MARGIN_RATE)
                for v in self.exchange.positions(account_id)
                if v.symbol == event.position.symbol
            ]
            return "positions", event.position.symbol, rows
        if isinstance(event, WalletEvent):
            return "account", "", [fr.account_row(event.wallet)]
        return "", "", []
