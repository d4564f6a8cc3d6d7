"""BitgetClient: the ExchangeClient for Bitget v2 USDT-M perpetuals (base-coin quantities)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable
from importlib import resources
from pathlib import Path

from arbcore.core import errors
from arbcore.core.clock import SYSTEM_CLOCK, Clock
from arbcore.core.enums import Env, MarginMode, OrderType, PositionMode, TimeInForce
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
from arbcore.core.quantize import is_multiple
from arbcore.exchanges.base import (
    BalanceListener,
    BookListener,
    BookStateListener,
    ConnectionListener,
    ConnectorConfig,
    FillListener,
    OrderListener,
    PositionListener,
)
from arbcore.exchanges.bitget import auth, parsing, wallet
from arbcore.exchanges.bitget import constants as c
from arbcore.exchanges.bitget import schemas as s
from arbcore.exchanges.bitget.history import collect_orders
from arbcore.exchanges.bitget.rest import BitgetRest, order_body
from arbcore.exchanges.bitget.ws import BookStream, PrivateStream, book_topic
from arbcore.exchanges.transport.fastlane import FastLane, raise_on_await
from arbcore.exchanges.transport.ratelimit import TRADE, RateLimitSpec, build_limiter
from arbcore.exchanges.transport.rest import RestSession
from arbcore.exchanges.transport.signing import ServerClock
from arbcore.exchanges.transport.ws import WsSession
from arbcore.market.book import L2Book

VENUE = c.VENUE.value

# Documented limits (exchanges/bitget.md §6), used when configs/exchanges.json lacks a group.
DOCUMENTED_LIMITS = {
    "trade": RateLimitSpec(10, 1.0, "place/cancel 10 req/s per UID"),
    "query": RateLimitSpec(5, 1.0, "all-position 5 req/s; detail/fills/accounts 10 req/s"),
    "account": RateLimitSpec(5, 1.0, "set-leverage / margin / position mode 5 req/s"),
    "market": RateLimitSpec(20, 1.0, "public market 20 req/s per IP"),
}
_IMMEDIATE = frozenset({TimeInForce.IOC, TimeInForce.FOK})
_POLL_INTERVAL_S = 0.05
_MAX_TRACKED = 10_000
_POSITION_MODES = {wire: PositionMode(core) for core, wire in c.POSITION_MODE_WIRE.items()}


def _packaged_limits() -> Path:
    return Path(str(resources.files("arbcore") / "resources" / "exchanges.json"))


def _url(override: str | None, table: dict[Env, str], env: Env, what: str) -> str:
    if override:
        return override
    if env in table:
        return table[env]
    hint = "use env demo (Bitget has no testnet)" if env is Env.TESTNET else "set the URL"
    raise errors.ConfigError(f"bitget: no {what} for env {env.value}; {hint}")


class BitgetClient:
    """Market data and trading over one HTTP session, one rate limiter, two WebSockets."""

    venue = c.VENUE
    capabilities = c.CAPABILITIES

    def __init__(self, config: ConnectorConfig, clock: Clock = SYSTEM_CLOCK) -> None:
        if config.credentials is not None and not config.credentials.passphrase:
            raise errors.ConfigError("bitget: API credentials need a passphrase")
        self.config = config
        self.clock = clock
        self.profile = c.profile_for(config.env, config.extra)
        self.demo = config.env is Env.DEMO
        rest_url = _url(config.rest_url, c.REST_URLS, config.env, "REST URL")
        self.ws_public_url = _url(config.ws_public_url, c.WS_PUBLIC_URLS, config.env, "public WS")
        self.ws_private_url = _url(
            config.ws_private_url, c.WS_PRIVATE_URLS, config.env, "private WS"
        )
        self.server_clock = ServerClock()
        self.http = RestSession(
            VENUE,
            rest_url,
            timeout_s=config.request_timeout_s,
            prewarm_path=c.PATH_SERVER_TIME,
            default_headers=dict([c.DEMO_HEADER]) if self.demo else None,
        )
        self.limiter = build_limiter(
            VENUE,
            DOCUMENTED_LIMITS,
            config.rate_limits_path or _packaged_limits(),
            fraction=config.rate_budget_fraction,
            max_trading_wait_ms=config.max_trading_wait_ms,
        )
        lanes = int(config.extra.get("fastlane_connections", "2"))
        self.fastlane = (
            FastLane(VENUE, rest_url, connections=lanes, default_headers=self.http.default_headers)
            if lanes > 0
            else None
        )
        self.rest = BitgetRest(
            self.http,
            self.profile,
            credentials=config.credentials,
            limiter=self.limiter,
            now_ms=self.server_clock.now_ms,
            order_timeout_s=config.order_timeout_s,
            fast=self.fastlane,
        )
        self.position_mode = PositionMode(config.extra.get("position_mode", "one_way"))
        self.default_margin_mode = MarginMode(config.extra.get("margin_mode", "isolated"))
        self.strict_seq = config.extra.get("strict_seq", "0") == "1"
        self.orders_page_limit = int(config.extra.get("orders_page_limit", c.ORDERS_PAGE_LIMIT))
        self.margin_modes: dict[str, MarginMode] = {}
        self.instruments: dict[str, Instrument] = {}
        self._by_venue_symbol: dict[str, str] = {}
        self._listeners: list[ConnectionListener] = []
        self._books: BookStream | None = None
        self._public: WsSession | None = None
        self._private: WsSession | None = None
        self._private_stream: PrivateStream | None = None
        self._orders: dict[str, OrderResult] = {}
        self._client_ids: dict[str, str] = {}  # exchange order id -> client id (fill pushes)
        self._order_events: dict[str, asyncio.Event] = {}

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        await self.http.start()
        if self.fastlane is not None:
            await self.fastlane.start()
        before = self.clock.now_ms()
        with contextlib.suppress(errors.ExchangeError):
            server_ms = await self.rest.server_time_ms()
            self.server_clock.update(server_ms, before, self.clock.now_ms())

    async def close(self) -> None:
        for session in (self._public, self._private):
            if session is not None:
                await session.close()
        self._public = self._private = None
        if self.fastlane is not None:
            await self.fastlane.close()
        await self.http.close()

    def trade_budget_available(self) -> bool:
        return self.limiter.available_now(TRADE)

    def connection_listener(self, listener: ConnectionListener) -> None:
        self._listeners.append(listener)
        for session in (self._public, self._private):
            if session is not None:
                session.add_listener(listener)

    def _session(self, name: str, url: str, handler: BookStream | PrivateStream) -> WsSession:
        session = WsSession(c.VENUE, name, url, handler)
        for listener in self._listeners:
            session.add_listener(listener)
        return session

    # --- instruments ----------------------------------------------------------------------

    async def load_instruments(self) -> list[Instrument]:
        contracts = await self.rest.contracts()
        found = parsing.parse_instruments(contracts, self.profile)
        self.instruments = {i.symbol: i for i in found}
        self._by_venue_symbol = {i.venue_symbol: i.symbol for i in found}
        return found

    async def instrument(self, symbol: str) -> Instrument:
        if symbol not in self.instruments:
            await self.load_instruments()
        try:
            return self.instruments[symbol]
        except KeyError:
            raise errors.InvalidOrder(VENUE, f"unknown symbol {symbol}", c.ERR_BAD_SYMBOL) from None

    def core_symbol(self, venue_symbol: str) -> str:
        return self._by_venue_symbol.get(venue_symbol, venue_symbol)

    # --- market data ----------------------------------------------------------------------

    async def subscribe_books(
        self,
        symbols: list[str],
        on_book: BookListener,
        on_state: BookStateListener | None = None,
    ) -> None:
        venue_symbols = [(await self.instrument(sym)).venue_symbol for sym in symbols]
        if self._books is None or self._public is None:
            self._books = BookStream(
                self.profile.product_type,
                self.core_symbol,
                on_book,
                on_state,
                strict_seq=self.strict_seq,
            )
            self._public = self._session("public", self.ws_public_url, self._books)
            self._public.start()
        for vs in venue_symbols:
            self._books.book_for(vs)
        await self._public.subscribe([book_topic(vs) for vs in venue_symbols])
        await self._public.wait_connected(self.config.request_timeout_s * 2)

    def book(self, symbol: str) -> L2Book | None:
        if self._books is None:
            return None
        inst = self.instruments.get(symbol)
        return self._books.books.get(inst.venue_symbol if inst else symbol)

    # --- trading --------------------------------------------------------------------------

    def _margin_mode(self, symbol: str) -> MarginMode:
        return self.margin_modes.get(symbol, self.default_margin_mode)

    def _check_order(self, req: OrderRequest, inst: Instrument) -> None:
        if not is_multiple(req.qty_base, inst.qty_step):
            raise errors.InvalidOrder(
                VENUE, f"{req.symbol}: size {req.qty_base} is not a multiple of {inst.qty_step}"
            )
        if req.qty_base < inst.min_qty:
            raise errors.InvalidOrder(VENUE, f"{req.symbol}: size {req.qty_base} < {inst.min_qty}")
        cid = req.client_id
        if not cid or len(cid) > c.CAPABILITIES.client_id_max_len or not cid.isalnum():
            raise errors.InvalidOrder(VENUE, f"client id {cid!r} breaks Bitget clientOid rules")

    async def submit_order(self, req: OrderRequest) -> OrderResult:
        """Send one order. IOC/FOK/market orders return their final state (from the private
        stream when it runs, else order/detail); resting orders return the acknowledgement."""
        return await self.submit_order_now(req)

    def submit_order_now(self, req: OrderRequest) -> Awaitable[OrderResult]:
        """Sign and write the place-order request before returning (fast lane); the
        awaitable then completes as `submit_order`. An unknown symbol, no ready connection
        or no trade token now defers the write to the first await."""
        inst = self.instruments.get(req.symbol)
        if inst is None:
            return self._submit_after_lookup(req)
        try:
            self._check_order(req, inst)
            margin_wire = c.MARGIN_MODE_WIRE[self._margin_mode(req.symbol).value]
            hedge = self.position_mode is PositionMode.HEDGE
            body = order_body(req, inst, self.profile, margin_wire, hedge)
        except errors.ExchangeError as exc:
            return raise_on_await(exc)
        event = self._order_events.setdefault(req.client_id, asyncio.Event())
        return self._complete_order(req, self.rest.place_order_now(body), event)

    async def _submit_after_lookup(self, req: OrderRequest) -> OrderResult:
        await self.instrument(req.symbol)
        return await self.submit_order_now(req)

    async def _complete_order(
        self, req: OrderRequest, ack_pending: Awaitable[s.OrderAck], event: asyncio.Event
    ) -> OrderResult:
        try:
            ack = await ack_pending
        except errors.ExchangeError as exc:
            self._order_events.pop(req.client_id, None)
            if type(exc) is errors.ExchangeError:
                raise errors.OrderRejected(exc.venue, exc.message, exc.code) from exc
            raise
        if ack.orderId:
            self._remember(ack.orderId, req.client_id)
        result = parsing.parse_order_ack(
            ack,
            symbol=req.symbol,
            client_id=req.client_id,
            side=req.side,
            qty_base=req.qty_base,
            reduce_only=req.reduce_only,
        )
        if req.order_type is OrderType.LIMIT and req.tif not in _IMMEDIATE:
            self._order_events.pop(req.client_id, None)
            return result
        return await self._final_state(req.symbol, req.client_id, event, result)

    async def _final_state(
        self, symbol: str, client_id: str, event: asyncio.Event, ack: OrderResult
    ) -> OrderResult:
        deadline_s = self.config.order_timeout_s
        try:
            if self._private_stream is not None and self._private_stream.logged_in.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), deadline_s / 2)
                known = self._orders.get(client_id)
                if known is not None and known.status.is_final:
                    return known
            loop = asyncio.get_running_loop()
            end = loop.time() + deadline_s
            last = ack
            while True:
                with contextlib.suppress(errors.OrderNotFound):
                    last = await self.fetch_order(symbol, client_id)
                    if last.status.is_final or loop.time() >= end:
                        return last
                if loop.time() >= end:
                    return last
                await asyncio.sleep(_POLL_INTERVAL_S)
        finally:
            self._order_events.pop(client_id, None)

    def _remember(self, order_id: str, client_id: str) -> None:
        self._client_ids[order_id] = client_id
        if len(self._client_ids) > _MAX_TRACKED:
            self._client_ids.pop(next(iter(self._client_ids)))

    def _on_private_fill(self, fill: Fill, forward: FillListener) -> None:
        """The `fill` channel has no clientOid: fill it in from the order id."""
        client_id = self._client_ids.get(fill.exchange_order_id, fill.client_id)
        forward(dataclasses.replace(fill, client_id=client_id))

    def _on_private_order(self, result: OrderResult, forward: OrderListener) -> None:
        self._orders[result.client_id] = result
        if len(self._orders) > _MAX_TRACKED:
            self._orders.pop(next(iter(self._orders)))
        if result.exchange_order_id:
            self._remember(result.exchange_order_id, result.client_id)
        if result.status.is_final:
            event = self._order_events.get(result.client_id)
            if event is not None:
                event.set()
        forward(result)

    async def cancel_order(self, symbol: str, client_id: str) -> OrderResult:
        inst = await self.instrument(symbol)
        with contextlib.suppress(errors.OrderNotFound):  # already final: report its state
            await self.rest.cancel_order(inst.venue_symbol, client_id)
        return await self.fetch_order(symbol, client_id)

    async def fetch_order(self, symbol: str, client_id: str) -> OrderResult:
        inst = await self.instrument(symbol)
        detail = await self.rest.order_detail(inst.venue_symbol, client_id)
        return parsing.parse_order_detail(detail, symbol)

    async def fetch_orders(self, symbol: str, since_ms: int) -> list[OrderResult]:
        inst = await self.instrument(symbol)
        now_ms = self.server_clock.now_ms()
        rows = await collect_orders(
            self.rest, inst.venue_symbol, since_ms, now_ms, self.orders_page_limit
        )
        return [parsing.parse_order_detail(row, symbol) for row in rows]

    async def fetch_fills(self, symbol: str, order_id: str, client_id: str = "") -> list[Fill]:
        inst = await self.instrument(symbol)
        records = await self.rest.fills(inst.venue_symbol, order_id)
        return [parsing.parse_fill(r, symbol, client_id) for r in records]

    async def fetch_positions(self, symbols: list[str] | None = None) -> list[Position]:
        if not self.instruments:
            await self.load_instruments()
        records = await self.rest.all_positions()
        modes = {r.posMode for r in records}
        if len(modes) == 1 and (mode := _POSITION_MODES.get(modes.pop())) is not None:
            self.position_mode = mode  # the account's real mode wins over the configured one
        out = [parsing.parse_position(r, self.core_symbol(r.symbol)) for r in records]
        wanted = set(symbols) if symbols is not None else None
        return [p for p in out if p.qty_base != 0 and (wanted is None or p.symbol in wanted)]

    async def fetch_balance(self) -> Balance:
        for account in await self.rest.accounts():
            if account.marginCoin == self.profile.margin_coin:
                return wallet.parse_balance(
                    account, "USDT", self.default_margin_mode, self.clock.now_ms()
                )
        raise errors.ExchangeError(VENUE, f"no {self.profile.margin_coin} futures account")

    async def set_leverage(self, symbol: str, leverage: int, margin_mode: MarginMode) -> None:
        """Bitget answers success when the leverage is already set; any "not modified"
        answer also counts as success."""
        inst = await self.instrument(symbol)
        sides: tuple[str | None, ...] = (None,)
        if margin_mode is MarginMode.ISOLATED and self.position_mode is PositionMode.HEDGE:
            sides = ("long", "short")
        for hold_side in sides:
            with contextlib.suppress(errors.LeverageNotModified):
                await self.rest.set_leverage(inst.venue_symbol, leverage, hold_side)

    async def set_margin_mode(self, symbol: str, margin_mode: MarginMode) -> None:
        inst = await self.instrument(symbol)
        await self.rest.set_margin_mode(inst.venue_symbol, c.MARGIN_MODE_WIRE[margin_mode.value])
        self.margin_modes[symbol] = margin_mode

    async def set_position_mode(self, mode: PositionMode) -> None:
        await self.rest.set_position_mode(c.POSITION_MODE_WIRE[mode.value])
        self.position_mode = mode

    async def fetch_funding_rate(self, symbol: str) -> FundingRate:
        inst = await self.instrument(symbol)
        rates = await self.rest.current_fund_rate(inst.venue_symbol)
        if not rates:
            raise errors.ExchangeError(VENUE, f"no funding rate for {symbol}")
        times = None
        if not rates[0].nextUpdate:
            found = await self.rest.funding_time(inst.venue_symbol)
            times = found[0] if found else None
        return parsing.parse_funding_rate(rates[0], symbol, times)

    async def fetch_funding_payments(self, symbol: str, since_ms: int) -> list[FundingPayment]:
        inst = await self.instrument(symbol)
        bills = await self.rest.bills(inst.venue_symbol, since_ms, "contract_settle_fee")
        return parsing.parse_funding_payments(bills, symbol)

    async def subscribe_private(
        self,
        on_order: OrderListener,
        on_fill: FillListener | None = None,
        on_position: PositionListener | None = None,
        on_balance: BalanceListener | None = None,
    ) -> None:
        creds = self.config.credentials
        if creds is None:
            raise errors.AuthError(VENUE, "private stream needs API credentials")
        if not self.instruments:
            await self.load_instruments()
        if self._private is None:
            stream = PrivateStream(
                self.profile.product_type,
                lambda: auth.ws_login_message(creds, self.server_clock.now_ms() // 1000),
                self.core_symbol,
                on_order=lambda r: self._on_private_order(r, on_order),
                on_fill=(lambda f: self._on_private_fill(f, on_fill)) if on_fill else None,
                on_position=on_position,
                on_balance=on_balance,
                margin_coin=self.profile.margin_coin,
            )
            self._private_stream = stream
            self._private = self._session("private", self.ws_private_url, stream)
            await self._private.subscribe(
                [f"{ch}:{c.PRIVATE_INST_ID}" for ch in c.PRIVATE_CHANNELS]
            )
            self._private.start()
            await self._wait_logged_in(stream)

    async def _wait_logged_in(self, stream: PrivateStream) -> None:
        try:
            await asyncio.wait_for(stream.login_attempted.wait(), self.config.request_timeout_s * 2)
        except TimeoutError:
            raise errors.NetworkError(VENUE, "private stream did not log in in time") from None
        if not stream.logged_in.is_set() and stream.login_error is not None:
            raise stream.login_error
