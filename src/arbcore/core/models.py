"""Domain records the layers exchange: instruments, books' tops, orders, fills, positions, balances.

Quantities in these models are always base coin (BTC, not contracts); connectors convert.
Money and quantities are Decimal; only market-data hot paths use floats (see market/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from arbcore.core.enums import (
    MarginMode,
    OrderStatus,
    OrderType,
    PositionSide,
    Side,
    TimeInForce,
    Venue,
)
from arbcore.core.quantize import common_step


@dataclass(frozen=True, slots=True)
class Instrument:
    """One perpetual contract on one exchange, with its trading limits.

    `qty_step` and `min_qty` are in the venue's order unit: contracts when
    `qty_in_contracts`, else base coin. `contract_size` is base coin per contract
    (1 where the venue trades in coins).
    """

    venue: Venue
    symbol: str  # arbcore's name: BTCUSDT
    venue_symbol: str  # the exchange's id: BTC-USDT-SWAP, BTC_USDT, BTCUSDT
    base: str
    quote: str
    tick_size: Decimal
    qty_step: Decimal
    min_qty: Decimal
    contract_size: Decimal = Decimal(1)
    qty_in_contracts: bool = False
    min_notional_usdt: Decimal = Decimal(0)
    max_qty: Decimal | None = None
    max_leverage: Decimal = Decimal(1)
    trading: bool = True

    @property
    def base_step(self) -> Decimal:
        """Smallest order quantity increment expressed in base coin."""
        return self.qty_step * self.contract_size if self.qty_in_contracts else self.qty_step

    @property
    def min_qty_base(self) -> Decimal:
        return self.min_qty * self.contract_size if self.qty_in_contracts else self.min_qty

    def to_venue_qty(self, qty_base: Decimal) -> Decimal:
        return qty_base / self.contract_size if self.qty_in_contracts else qty_base

    def to_base_qty(self, venue_qty: Decimal) -> Decimal:
        return venue_qty * self.contract_size if self.qty_in_contracts else venue_qty


def shared_base_step(instruments: list[Instrument]) -> Decimal:
    """A base quantity step that is a whole number of steps on every instrument (SPEC §2)."""
    return common_step([i.base_step for i in instruments])


@dataclass(frozen=True, slots=True)
class BookTop:
    venue: Venue
    symbol: str
    bid_px: float
    bid_qty: float
    ask_px: float
    ask_qty: float
    ts_ms: int


@dataclass(frozen=True, slots=True)
class OrderRequest:
    venue: Venue
    symbol: str
    side: Side
    qty_base: Decimal
    client_id: str
    order_type: OrderType = OrderType.LIMIT
    tif: TimeInForce = TimeInForce.IOC
    price: Decimal | None = None
    reduce_only: bool = False
    position_side: PositionSide | None = None  # only for hedge-mode accounts


@dataclass(frozen=True, slots=True)
class Fill:
    venue: Venue
    symbol: str
    client_id: str
    exchange_order_id: str
    trade_id: str
    side: Side
    qty_base: Decimal
    price: Decimal
    fee_usdt: Decimal  # positive = paid, negative = rebate received
    ts_ms: int
    is_maker: bool = False


@dataclass(frozen=True, slots=True)
class OrderResult:
    venue: Venue
    symbol: str
    client_id: str
    exchange_order_id: str | None
    status: OrderStatus
    side: Side
    requested_base: Decimal
    filled_base: Decimal = Decimal(0)
    avg_price: Decimal | None = None
    fee_usdt: Decimal = Decimal(0)
    reduce_only: bool = False
    error: str | None = None
    ts_ms: int = 0
    fills: tuple[Fill, ...] = field(default=())

    @property
    def unfilled_base(self) -> Decimal:
        return self.requested_base - self.filled_base


@dataclass(frozen=True, slots=True)
class Position:
    venue: Venue
    symbol: str
    qty_base: Decimal  # signed: + long, - short (net across sides in one-way mode)
    entry_price: Decimal
    leverage: Decimal | None = None
    margin_mode: MarginMode | None = None
    unrealized_pnl_usdt: Decimal = Decimal(0)
    side: PositionSide | None = None  # set in hedge mode, where a symbol has two positions
    ts_ms: int = 0


@dataclass(frozen=True, slots=True)
class Balance:
    venue: Venue
    asset: str
    equity: Decimal
    available: Decimal
    ts_ms: int = 0


@dataclass(frozen=True, slots=True)
class FundingRate:
    venue: Venue
    symbol: str
    rate: Decimal
    next_funding_ms: int
    interval_h: int = 8


@dataclass(frozen=True, slots=True)
class FundingPayment:
    venue: Venue
    symbol: str
    amount_usdt: Decimal  # positive = received
    ts_ms: int


@dataclass(frozen=True, slots=True)
class PairSpec:
    """A user's arbitrage configuration (SPEC §4)."""

    symbol: str
    exchanges: tuple[Venue, ...]
    volume_base: Decimal
    entry_spread_pct: Decimal
    take_profit_pct: Decimal
    stop_loss_pct: Decimal
    entry_parts: int = 1
    exit_parts: int = 1
    leverage: int = 1
    margin_mode: MarginMode = MarginMode.ISOLATED
    add_step_pct: Decimal = Decimal(0)
    max_adds: int = 0
    max_slippage_pct: Decimal = Decimal("0.1")
    enabled: bool = True
    price_only: tuple[Venue, ...] = ()  # venues used as price source only (trade: false)
