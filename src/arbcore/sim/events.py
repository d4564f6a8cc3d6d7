"""Venue-agnostic vocabulary of the simulator core: reject reasons, orders, private events."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from arbcore.core.enums import (
    MarginMode,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    Side,
    TimeInForce,
)


class RejectReason(StrEnum):
    """Why the core refused a request; front ends map these to their venue's code/message."""

    INSUFFICIENT_MARGIN = "insufficient_margin"
    BELOW_MIN_QTY = "below_min_qty"
    BELOW_MIN_NOTIONAL = "below_min_notional"
    ABOVE_MAX_QTY = "above_max_qty"
    QTY_OFF_STEP = "qty_off_step"
    PRICE_OFF_TICK = "price_off_tick"
    PRICE_MISSING = "price_missing"
    REDUCE_ONLY_WOULD_INCREASE = "reduce_only_would_increase"
    DUPLICATE_CLIENT_ID = "duplicate_client_id"
    UNKNOWN_SYMBOL = "unknown_symbol"
    POST_ONLY_WOULD_TAKE = "post_only_would_take"
    FOK_UNFILLABLE = "fok_unfillable"
    NO_LIQUIDITY = "no_liquidity"
    LEVERAGE_OUT_OF_RANGE = "leverage_out_of_range"
    LEVERAGE_NOT_MODIFIED = "leverage_not_modified"
    MARGIN_MODE_NOT_MODIFIED = "margin_mode_not_modified"
    POSITION_MODE_NOT_MODIFIED = "position_mode_not_modified"
    POSITION_EXISTS = "position_exists"
    OPEN_ORDERS_EXIST = "open_orders_exist"
    POSITION_SIDE_MISMATCH = "position_side_mismatch"
    ORDER_NOT_FOUND = "order_not_found"
    INVALID_PARAMETER = "invalid_parameter"
    RATE_LIMITED = "rate_limited"
    SYSTEM_BUSY = "system_busy"


class SimReject(Exception):
    """Raised by the core when a request is refused; `reason` is venue-agnostic."""

    def __init__(self, reason: RejectReason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)


class LedgerKind(StrEnum):
    DEPOSIT = "deposit"
    TRADE_FEE = "trade_fee"
    REALIZED_PNL = "realized_pnl"
    FUNDING = "funding"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One balance change; an account's balance always equals the sum of its entries' amounts."""

    entry_id: int
    account_id: str
    kind: LedgerKind
    amount_usdt: Decimal
    balance_after_usdt: Decimal
    ts_ms: int
    symbol: str = ""
    ref_id: str = ""  # exec id or funding id


@dataclass(slots=True)
class SimFill:
    """One execution of an order (or a funding settlement when `is_funding`)."""

    exec_id: str
    order_id: str
    client_id: str
    account_id: str
    symbol: str
    side: Side
    qty: Decimal  # venue unit
    price: Decimal
    value_usdt: Decimal  # qty * contract_size * price
    fee_usdt: Decimal  # positive = paid, negative = rebate
    fee_rate: Decimal
    is_maker: bool
    ts_ms: int
    closed_qty: Decimal = Decimal(0)
    realized_pnl_usdt: Decimal = Decimal(0)
    position_side: PositionSide | None = None
    is_funding: bool = False
    seq: int = 0


@dataclass(slots=True)
class SimOrder:
    """An order as the core keeps it; quantities in the venue's unit (contracts or coins)."""

    order_id: str
    client_id: str
    account_id: str
    symbol: str
    side: Side
    order_type: OrderType
    tif: TimeInForce
    qty: Decimal
    price: Decimal | None
    reduce_only: bool
    position_side: PositionSide | None
    created_ms: int
    updated_ms: int
    status: OrderStatus = OrderStatus.NEW
    filled_qty: Decimal = Decimal(0)
    filled_value_usdt: Decimal = Decimal(0)
    fee_usdt: Decimal = Decimal(0)
    reject_reason: RejectReason | None = None
    cancel_reason: str = ""  # "ioc_remainder", "user", "fok_unfillable", "no_liquidity"
    fills: list[SimFill] = field(default_factory=list)
    seq: int = 0

    @property
    def leaves_qty(self) -> Decimal:
        return Decimal(0) if self.status.is_final else self.qty - self.filled_qty

    @property
    def avg_price(self) -> Decimal | None:
        """Volume-weighted fill price (None before the first fill)."""
        if self.filled_qty == 0:
            return None
        value = sum((f.price * f.qty for f in self.fills), Decimal(0))
        return value / self.filled_qty

    @property
    def is_open(self) -> bool:
        return not self.status.is_final


@dataclass(frozen=True, slots=True)
class PositionView:
    """A position snapshot; `qty` unsigned in venue units, direction in `side` (flat: qty 0)."""

    account_id: str
    symbol: str
    side: PositionSide | None  # None when flat
    qty: Decimal
    entry_price: Decimal
    leverage: Decimal
    margin_mode: MarginMode
    position_mode: PositionMode
    hedge_side: PositionSide | None  # set in hedge mode: which of the two slots this is
    mark_price: Decimal
    value_usdt: Decimal
    initial_margin_usdt: Decimal
    unrealized_pnl_usdt: Decimal
    realized_pnl_usdt: Decimal  # cumulative for this position slot (fees and funding included)
    created_ms: int
    updated_ms: int
    seq: int

    @property
    def signed_qty(self) -> Decimal:
        return -self.qty if self.side is PositionSide.SHORT else self.qty


@dataclass(frozen=True, slots=True)
class WalletView:
    """A wallet snapshot for one account (USDT)."""

    account_id: str
    balance_usdt: Decimal
    equity_usdt: Decimal
    available_usdt: Decimal
    position_margin_usdt: Decimal
    order_margin_usdt: Decimal
    unrealized_pnl_usdt: Decimal
    realized_pnl_usdt: Decimal
    ts_ms: int


@dataclass(frozen=True, slots=True)
class OrderEvent:
    order: SimOrder


@dataclass(frozen=True, slots=True)
class ExecutionEvent:
    fill: SimFill


@dataclass(frozen=True, slots=True)
class PositionEvent:
    position: PositionView


@dataclass(frozen=True, slots=True)
class WalletEvent:
    wallet: WalletView


PrivateEvent = OrderEvent | ExecutionEvent | PositionEvent | WalletEvent
