"""BybitClient: the ExchangeClient for Bybit v5 linear perpetuals (base-coin quantities)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import OrderedDict
from collections.abc import Awaitable

from arbcore.core.enums import MarginMode, OrderType, PositionMode, TimeInForce, Venue
from arbcore.core.errors import (
    ConfigError,
    ExchangeError,
    LeverageNotModified,
    NotSupported,
    OrderNotFound,
)
from arbcore.core.models import (
    Balance,
    Fill,
    FundingPayment,
    FundingRate,
    Instrument,
    OrderRequest,
    OrderResult,
    Position,
)
from arbcore.exchanges.base import (
    BalanceListener,
    BookListener,
    BookStateListener,
    Capabilities,
    ConnectionListener,
    ConnectorConfig,
    FillListener,
    OrderListener,
    PositionListener,
)
from arbcore.exchanges.bybit import constants as C
from arbcore.exchanges.bybit import schemas as S
from arbcore.exchanges.bybit.funding import collect_funding, walk_executions
from arbcore.exchanges.bybit.history import collect_orders
from arbcore.exchanges.bybit.parsing import (
    funding_interval_h,
    is_trade,
    order_body,
    parse_execution,
    parse_funding_payment,
    parse_funding_rate,
    parse_instrument,
    parse_order,
    parse_position,
    parse_wallet,
)
from arbcore.exchanges.bybit.rest import BybitRest
from arbcore.exchanges.bybit.ws import BybitBookStream, BybitPrivateStream
from arbcore.exchanges.transport.fastlane import FastLane, raise_on_await
from arbcore.exchanges.transport.ratelimit import TRADE, build_limiter
from arbcore.exchanges.transport.rest import RestSession
from arbcore.exchanges.transport.signing import ServerClock
from arbcore.market.book import L2Book

RESULT_POLL_S = 0.05
WS_RESULT_GRACE_S = 0.3
ORDER_CACHE_SIZE = 10_000  # recent orders kept from the private stream
_IMMEDIATE_TIF = frozenset({TimeInForce.IOC, TimeInForce.FOK})
_MARGIN_MODE_UTA = {MarginMode.ISOLATED: "ISOLATED_MARGIN", MarginMode.CROSS: "REGULAR_MARGIN"}


def _resolve_urls(config: ConnectorConfig) -> C.Urls:
    default = C.URLS.get(config.env)
    rest = config.rest_url or (default.rest if default else None)
    ws_public = config.ws_public_url or (default.ws_public if default else None)
    ws_private = config.ws_private_url or (default.ws_private if default else None)
    if not rest or not ws_public or not ws_private:
        raise ConfigError(f"bybit env {config.env}: rest_url, ws_public_url, ws_private_url needed")
    return C.Urls(rest, ws_public, ws_private)


class BybitClient:
    """Market data and trading for one Bybit account over one HTTP pool and rate limiter.

    `config.extra`: `account_type` (UNIFIED | CONTRACT, default UNIFIED), `position_mode`
    (one_way | hedge, default one_way), `prewarm_connections` (default 2),
    `ws_idle_timeout_s` (public stream: reconnect after this long without a frame, default 45),
    `orders_page_limit` (page size of the order lists fetch_orders walks, 1..50, default 50),
    `fastlane_connections` (keep-alive sockets for submit_order_now, default 2; 0 = off).
    """

    venue: Venue = Venue.BYBIT
    capabilities: Capabilities = C.CAPABILITIES

    def __init__(self, config: ConnectorConfig) -> None:
        if config.venue is not Venue.BYBIT:
            raise ConfigError(f"BybitClient got a {config.venue} config")
        self.config = config
        self.urls = _resolve_urls(config)
        self.account_type = config.extra.get("account_type", C.ACCOUNT_UNIFIED)
        self.position_mode = PositionMode(config.extra.get("position_mode", "one_way"))
        self.ws_idle_timeout_s = float(config.extra.get("ws_idle_timeout_s", C.IDLE_TIMEOUT_S))
        self.orders_page_limit = int(config.extra.get("orders_page_limit", C.ORDERS_PAGE_LIMIT))
        self.clock = ServerClock()
        self.http = RestSession(
            Venue.BYBIT,
            self.urls.rest,
            timeout_s=config.request_timeout_s,
            prewarm_connections=int(config.extra.get("prewarm_connections", "2")),
            prewarm_path=C.PATH_TIME,
        )
        self.limiter = build_limiter(
            Venue.BYBIT.value,
            C.DOCUMENTED_RATE_LIMITS,
            config.rate_limits_path,
            fraction=config.rate_budget_fraction,
            max_trading_wait_ms=config.max_trading_wait_ms,
        )
        lanes = int(config.extra.get("fastlane_connections", "2"))
        lane = FastLane(Venue.BYBIT, self.urls.rest, connections=lanes)
        self.fastlane = lane if lanes > 0 else None
        self.rest = BybitRest(
            self.http, self.limiter, config.credentials, self.clock, fast=self.fastlane
        )
        self.instruments: dict[str, Instrument] = {}
        self._funding_interval_h: dict[str, int] = {}
        self._books: BybitBookStream | None = None
        self._private: BybitPrivateStream | None = None
        self._connection_listeners: list[ConnectionListener] = []
        self._orders: OrderedDict[str, OrderResult] = OrderedDict()
        self._fills: OrderedDict[str, list[Fill]] = OrderedDict()
        self._order_events: dict[str, asyncio.Event] = {}

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        await self.http.start()
        if self.fastlane is not None:
            await self.fastlane.start()
        await self.rest.server_time_ms()

    async def close(self) -> None:
        if self._books is not None:
            await self._books.close()
        if self._private is not None:
            await self._private.close()
        if self.fastlane is not None:
            await self.fastlane.close()
        await self.http.close()

    def trade_budget_available(self) -> bool:
        return self.limiter.available_now(TRADE)

    def connection_listener(self, listener: ConnectionListener) -> None:
        self._connection_listeners.append(listener)
        for stream in (self._books, self._private):
            if stream is not None:
                stream.ws.add_listener(listener)

    # ---- market data ----------------------------------------------------------------------

    async def load_instruments(self) -> list[Instrument]:
        out: list[Instrument] = []
        for info in await self.rest.instruments():
            instrument = parse_instrument(info)
            if instrument is None:
                continue
            self.instruments[instrument.symbol] = instrument
            self._funding_interval_h[instrument.symbol] = funding_interval_h(info)
            out.append(instrument)
        return out

    async def instrument(self, symbol: str) -> Instrument:
        if symbol not in self.instruments:
            await self.load_instruments()
        try:
            return self.instruments[symbol]
        except KeyError:
            raise ExchangeError(self.venue, f"unknown symbol {symbol}") from None

    async def subscribe_books(
        self,
        symbols: list[str],
        on_book: BookListener,
        on_state: BookStateListener | None = None,
    ) -> None:
        if self._books is None:
            self._books = BybitBookStream(
                self.urls.ws_public,
                depth=self.config.book_depth,
                idle_timeout_s=self.ws_idle_timeout_s,
            )
            for listener in self._connection_listeners:
                self._books.ws.add_listener(listener)
        self._books.add_listeners(on_book, on_state)
        await self._books.subscribe(symbols)
        await self._books.ws.wait_connected(self.config.request_timeout_s * 2)

    def book(self, symbol: str) -> L2Book | None:
        return self._books.books.get(symbol) if self._books is not None else None

    @property
    def book_stream(self) -> BybitBookStream | None:
        return self._books

    # ---- trading --------------------------------------------------------------------------

    async def submit_order(self, req: OrderRequest) -> OrderResult:
        return await self.submit_order_now(req)

    def submit_order_now(self, req: OrderRequest) -> Awaitable[OrderResult]:
        """Sign and write the create-order request before returning (fast lane); the
        awaitable then completes as `submit_order`. An unknown symbol, no ready connection
        or no trade token now defers the write to the first await."""
        instrument = self.instruments.get(req.symbol)
        if instrument is None:
            return self._submit_after_lookup(req)
        try:
            body = order_body(req, instrument, self.position_mode)
        except ExchangeError as exc:
            return raise_on_await(exc)
        event = self._order_events.setdefault(req.client_id, asyncio.Event())
        ack = self.rest.create_order_now(body, req.client_id, self.config.order_timeout_s)
        return self._complete_order(req, ack, event)

    async def _submit_after_lookup(self, req: OrderRequest) -> OrderResult:
        await self.instrument(req.symbol)
        return await self.submit_order_now(req)

    async def _complete_order(
        self, req: OrderRequest, ack_pending: Awaitable[S.OrderAck], event: asyncio.Event
    ) -> OrderResult:
        try:
            ack = await ack_pending
            immediate = req.order_type is OrderType.MARKET or req.tif in _IMMEDIATE_TIF
            return await self._final_result(
                req.symbol, req.client_id, ack.orderId, event, wait_final=immediate
            )
        finally:
            self._order_events.pop(req.client_id, None)

    async def _final_result(
        self,
        symbol: str,
        client_id: str,
        order_id: str,
        event: asyncio.Event,
        *,
        wait_final: bool,
    ) -> OrderResult:
        """The order's state after the ack. IOC/FOK/market orders end at once, so wait for a
        final state (private stream if running, else REST polling); a resting order returns
        with its first known state."""
        deadline = time.monotonic() + self.config.order_timeout_s
        if wait_final and self._private is not None and self._private.ws.connected:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), WS_RESULT_GRACE_S)
            cached = self._orders.get(client_id)
            if cached is not None and cached.status.is_final:
                return self._with_fills(cached)
        last: OrderResult | None = None
        while True:
            try:
                last = await self.fetch_order(symbol, client_id)
            except OrderNotFound:
                last = None
            if last is not None and (last.status.is_final or not wait_final):
                return last
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(RESULT_POLL_S)
        if last is not None:
            return last
        raise ExchangeError(self.venue, f"order {client_id} ({order_id}) acknowledged, not found")

    def _with_fills(self, result: OrderResult) -> OrderResult:
        fills = tuple(self._fills.get(result.client_id, ()))
        return dataclasses.replace(result, fills=fills) if fills else result

    async def fetch_order(self, symbol: str, client_id: str) -> OrderResult:
        orders = await self.rest.order_realtime(symbol, client_id)
        if not orders:
            orders = await self.rest.order_history(symbol, client_id)
        if not orders:
            raise OrderNotFound(self.venue, f"no order with orderLinkId {client_id}")
        return self._with_fills(parse_order(orders[0]))

    async def fetch_orders(self, symbol: str, since_ms: int) -> list[OrderResult]:
        rows = await collect_orders(
            self.rest, symbol, since_ms, self.clock.now_ms(), self.orders_page_limit
        )
        return [parse_order(row) for row in rows]

    async def fetch_fills(self, symbol: str, client_id: str) -> list[Fill]:
        executions = await walk_executions(self.rest, symbol, client_id=client_id)
        return [parse_execution(e) for e in executions if is_trade(e)]

    async def cancel_order(self, symbol: str, client_id: str) -> OrderResult:
        # 110001 means already final (or never existed): the lookup below decides which.
        with contextlib.suppress(OrderNotFound):
            await self.rest.cancel_order(symbol, client_id)
        return await self.fetch_order(symbol, client_id)

    async def fetch_positions(self, symbols: list[str] | None = None) -> list[Position]:
        if symbols is not None and len(symbols) == 1:
            infos = await self.rest.positions(symbols[0])
        else:
            infos = await self.rest.positions()
        wanted = set(symbols) if symbols is not None else None
        out = []
        for info in infos:
            if wanted is not None and info.symbol not in wanted:
                continue
            position = parse_position(info)
            if position is not None:
                out.append(position)
        return out

    async def fetch_balance(self) -> Balance:
        result = await self.rest.wallet(self.account_type)
        return parse_wallet(result, self.clock.now_ms())

    async def set_leverage(self, symbol: str, leverage: int, margin_mode: MarginMode) -> None:
        """Idempotent; 110043 "leverage not modified" is success. `margin_mode` applies per
        symbol on classic accounts only (UTA sets it account-wide via set_margin_mode)."""
        if self.account_type == C.ACCOUNT_CLASSIC:
            await self._switch_isolated(symbol, margin_mode, str(leverage))
        try:
            await self.rest.set_leverage(symbol, str(leverage))
        except LeverageNotModified:
            return

    async def set_margin_mode(self, symbol: str, margin_mode: MarginMode) -> None:
        if self.account_type == C.ACCOUNT_CLASSIC:
            positions = await self.rest.positions(symbol)
            leverage = positions[0].leverage if positions and positions[0].leverage else "1"
            await self._switch_isolated(symbol, margin_mode, leverage)
            return
        result = await self.rest.set_account_margin_mode(_MARGIN_MODE_UTA[margin_mode])
        if result.reasons:
            raise ExchangeError(self.venue, f"margin mode refused: {result.reasons}")

    async def _switch_isolated(self, symbol: str, margin_mode: MarginMode, leverage: str) -> None:
        trade_mode = 1 if margin_mode is MarginMode.ISOLATED else 0
        try:
            await self.rest.switch_isolated(symbol, trade_mode, leverage)
        except ExchangeError as exc:
            if exc.code != str(C.RET_MARGIN_MODE_NOT_MODIFIED):
                raise

    async def set_position_mode(self, mode: PositionMode) -> None:
        wire = C.SWITCH_MODE_HEDGE if mode is PositionMode.HEDGE else C.SWITCH_MODE_ONE_WAY
        try:
            await self.rest.switch_position_mode(wire)
        except ExchangeError as exc:
            if exc.code != str(C.RET_POSITION_MODE_NOT_MODIFIED):
                raise
        self.position_mode = mode

    async def fetch_funding_rate(self, symbol: str) -> FundingRate:
        tickers = await self.rest.tickers(symbol)
        ticker = next((t for t in tickers if t.symbol == symbol), None)
        if ticker is None:
            raise ExchangeError(self.venue, f"no ticker for {symbol}")
        if symbol not in self._funding_interval_h:
            await self.instrument(symbol)
        return parse_funding_rate(ticker, self._funding_interval_h.get(symbol, 8))

    async def fetch_funding_payments(self, symbol: str, since_ms: int) -> list[FundingPayment]:
        """Oldest first; every page of every 7-day window, or ExchangeError (funding.py)."""
        executions = await collect_funding(self.rest, symbol, since_ms, self.clock.now_ms())
        return [parse_funding_payment(e) for e in executions]

    async def subscribe_private(
        self,
        on_order: OrderListener,
        on_fill: FillListener | None = None,
        on_position: PositionListener | None = None,
        on_balance: BalanceListener | None = None,
    ) -> None:
        private = await self._ensure_private()
        private.on_order.append(on_order)
        if on_balance is not None:
            private.on_balance.append(on_balance)
        if on_fill is not None:
            private.on_fill.append(on_fill)
        if on_position is not None:
            private.on_position.append(on_position)

    async def _ensure_private(self) -> BybitPrivateStream:
        if self._private is not None:
            return self._private
        creds = self.config.credentials
        if creds is None:
            raise NotSupported(self.venue, "private stream needs API credentials")
        private = BybitPrivateStream(
            self.urls.ws_private,
            creds.api_key,
            creds.secret,
            self.clock,
            idle_timeout_s=max(self.ws_idle_timeout_s, 2 * C.PING_INTERVAL_S + 5),
            account_type=self.account_type,
        )
        private.on_order.append(self._remember_order)
        private.on_fill.append(self._remember_fill)
        for listener in self._connection_listeners:
            private.ws.add_listener(listener)
        self._private = private
        await private.start(self.config.request_timeout_s * 2)
        return private

    def _remember_order(self, result: OrderResult) -> None:
        if not result.client_id:
            return
        self._orders[result.client_id] = result
        self._orders.move_to_end(result.client_id)
        while len(self._orders) > ORDER_CACHE_SIZE:
            self._orders.popitem(last=False)
        if result.status.is_final:
            event = self._order_events.get(result.client_id)
            if event is not None:
                event.set()

    def _remember_fill(self, fill: Fill) -> None:
        if fill.client_id:
            self._fills.setdefault(fill.client_id, []).append(fill)
            while len(self._fills) > ORDER_CACHE_SIZE:
                self._fills.popitem(last=False)
