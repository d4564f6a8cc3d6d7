"""Protocols the engine consumes from every venue (market data, trading) and its Capabilities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from arbcore.core.enums import ConnectionState, Env, MarginMode, PositionMode, Venue
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

if TYPE_CHECKING:
    from arbcore.market.book import L2Book


class BookValidation(StrEnum):
    SEQUENCE = "sequence"  # update ids must be continuous (Bybit u, OKX seqId/prevSeqId, ...)
    CHECKSUM = "checksum"  # CRC32 over top levels (Bitget, OKX)
    NONE = "none"  # full snapshots each push, nothing to validate


class Compression(StrEnum):
    NONE = "none"
    GZIP = "gzip"
    DEFLATE = "deflate"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a venue can do; a missing capability raises `NotSupported` when used."""

    ioc: bool = True
    fok: bool = True
    post_only: bool = True
    reduce_only: bool = True
    market_orders: bool = True
    hedge_mode: bool = True
    per_symbol_margin_mode: bool = True
    qty_in_contracts: bool = False
    book_validation: BookValidation = BookValidation.SEQUENCE
    ws_compression: Compression = Compression.NONE
    private_ws: bool = True
    fetch_order_by_client_id: bool = True
    needs_passphrase: bool = False
    trading_api: bool = True  # MEXC: documented, but enabled only for some accounts
    client_id_max_len: int = 32
    numeric_client_id: bool = False  # HTX


@dataclass(frozen=True, slots=True)
class Credentials:
    api_key: str
    secret: str
    passphrase: str | None = None

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.api_key[:4]}***, secret=***)"


@dataclass(frozen=True, slots=True)
class ConnectorConfig:
    """Everything a venue client needs to be built; the engine fills it from settings."""

    venue: Venue
    env: Env = Env.LIVE
    credentials: Credentials | None = None
    rest_url: str | None = None  # overrides the env's default base URL
    ws_public_url: str | None = None
    ws_private_url: str | None = None
    request_timeout_s: float = 5.0
    order_timeout_s: float = 3.0
    rate_limits_path: str | None = None  # configs/exchanges.json; None = packaged default
    rate_budget_fraction: float = 0.5
    max_trading_wait_ms: float = 50.0  # a trading call that would queue longer fails fast
    book_depth: int = 50
    extra: dict[str, str] = field(default_factory=dict)


BookListener = Callable[["L2Book", int], None]
"""Called synchronously in the socket reader for each applied update: (book, recv_ns).

`recv_ns` is `time.perf_counter_ns()` taken when the frame was read: the start of
tick-to-order latency. The listener must not block; it may schedule tasks.
"""

BookStateListener = Callable[[Venue, str, bool, str], None]
"""(venue, symbol, stale, reason): a book went stale (gap, checksum, disconnect) or whole again."""

ConnectionListener = Callable[[Venue, str, ConnectionState], None]
"""(venue, stream name, state) for every connect, disconnect and reconnect."""

OrderListener = Callable[[OrderResult], None]
FillListener = Callable[[Fill], None]
PositionListener = Callable[[Position], None]
BalanceListener = Callable[[Balance], None]
"""A margin balance pushed by the exchange (private wallet/account stream) after any change."""


@runtime_checkable
class MarketData(Protocol):
    venue: Venue
    capabilities: Capabilities

    async def load_instruments(self) -> list[Instrument]:
        """Every tradable USDT perpetual, converted to core Instruments."""
        ...

    async def subscribe_books(
        self,
        symbols: list[str],
        on_book: BookListener,
        on_state: BookStateListener | None = None,
    ) -> None:
        """Stream validated L2 books for arbcore symbols (BTCUSDT). Returns once subscribed;
        the stream keeps itself alive (heartbeat, reconnect, resubscribe, resync)."""
        ...

    def book(self, symbol: str) -> L2Book | None:
        """The live book for a symbol, or None if never received."""
        ...


@runtime_checkable
class Trading(Protocol):
    venue: Venue
    capabilities: Capabilities

    async def submit_order(self, req: OrderRequest) -> OrderResult:
        """Send one order. Raises OrderRejected (and subclasses), RateLimited,
        TransientError, or OrderOutcomeUnknown when it may have executed."""
        ...

    def trade_budget_available(self) -> bool:
        """Pre-flight (SPEC §5.2): the trading rate-limit budget has a token now and no
        pause announced by the exchange is in force. Takes nothing."""
        ...

    def submit_order_now(self, req: OrderRequest) -> Awaitable[OrderResult]:
        """The hot-path form of `submit_order`: the request is signed and WRITTEN to the
        exchange's socket before this returns (no await, no task hop), on a pre-opened
        keep-alive connection; the returned awaitable gives exactly what `submit_order`
        would (same result, same errors). With no connection ready, the write happens when
        the awaitable is first awaited (then it is just `submit_order`)."""
        ...

    async def cancel_order(self, symbol: str, client_id: str) -> OrderResult: ...

    async def fetch_order(self, symbol: str, client_id: str) -> OrderResult:
        """Look an order up by client id; raises OrderNotFound if the exchange has none."""
        ...

    async def fetch_orders(self, symbol: str, since_ms: int) -> list[OrderResult]:
        """Every order of `symbol` created at or after `since_ms`, open and closed (history
        endpoints, paginated), with filled quantity, average price and fee. Restart
        reconciliation uses it to find orders a crash kept out of the database."""
        ...

    async def fetch_positions(self, symbols: list[str] | None = None) -> list[Position]: ...

    async def fetch_balance(self) -> Balance:
        """USDT margin balance: equity and available."""
        ...

    async def set_leverage(self, symbol: str, leverage: int, margin_mode: MarginMode) -> None:
        """Idempotent: the exchange's 'not modified' answer is success."""
        ...

    async def set_margin_mode(self, symbol: str, margin_mode: MarginMode) -> None: ...

    async def set_position_mode(self, mode: PositionMode) -> None: ...

    async def fetch_funding_rate(self, symbol: str) -> FundingRate: ...

    async def fetch_funding_payments(self, symbol: str, since_ms: int) -> list[FundingPayment]: ...

    async def subscribe_private(
        self,
        on_order: OrderListener,
        on_fill: FillListener | None = None,
        on_position: PositionListener | None = None,
        on_balance: BalanceListener | None = None,
    ) -> None:
        """Login and stream order, execution, position and balance updates of this account."""
        ...


@runtime_checkable
class ExchangeClient(MarketData, Trading, Protocol):
    """One venue: market data and trading over one shared HTTP session and rate limiter."""

    async def start(self) -> None:
        """Open and pre-warm HTTP connections; sync clock offset if the venue needs it."""
        ...

    async def close(self) -> None: ...

    def connection_listener(self, listener: ConnectionListener) -> None: ...
