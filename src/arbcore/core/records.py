"""Plain records the persistence layer stores and returns (never ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from arbcore.core.enums import (
    MarginMode,
    OrderStatus,
    OrderType,
    PairState,
    Side,
    TimeInForce,
    TradeState,
    Venue,
)
from arbcore.core.errors import ArbcoreError
from arbcore.core.models import PairSpec


class OrderPurpose(StrEnum):
    """Why an order was sent."""

    ENTRY = "entry"
    EXIT = "exit"
    ROLLBACK = "rollback"  # closing a leg whose partner failed
    BALANCE = "balance"  # evening out unequal fills of the two legs
    REPAIR = "repair"  # fixing a difference found by verification
    FLATTEN = "flatten"  # restart `on_start: close` and shutdown `close_on_shutdown`


class CloseReason(StrEnum):
    """Why an arbitrage ended; stored as text so new reasons need no migration."""

    TAKE_PROFIT = "take_profit"
    STOP_LOSS = "stop_loss"
    OPERATOR = "operator"
    SHUTDOWN = "shutdown"
    ROLLED_BACK = "rolled_back"
    RECONCILED = "reconciled"
    ERROR = "error"


class RecordNotFound(ArbcoreError, LookupError):
    """The requested row does not exist."""


class DuplicateRecord(ArbcoreError):
    """A unique key is already taken (e.g. the same client order id twice on one exchange)."""


class StateConflict(ArbcoreError):
    """A compare-and-set state change found another state than expected."""

    def __init__(self, message: str, actual: PairState) -> None:
        super().__init__(message)
        self.actual = actual


@dataclass(frozen=True, slots=True)
class PairRecord:
    """A stored Pair: its id, parameters and state machine state."""

    id: int
    spec: PairSpec
    state: PairState
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewTrade:
    """What is known when an arbitrage starts."""

    pair_id: int | None
    symbol: str
    long_exchange: Venue
    short_exchange: Venue
    target_base: Decimal
    opened_at: datetime
    entry_parts: int = 1
    exit_parts: int = 1
    state: TradeState = TradeState.OPENING
    entry_spread_pct: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One arbitrage (long leg on `long_exchange`, short leg on `short_exchange`)."""

    id: int
    pair_id: int | None
    symbol: str
    long_exchange: Venue
    short_exchange: Venue
    state: TradeState
    target_base: Decimal
    entered_base: Decimal
    exited_base: Decimal
    long_entry_avg_px: Decimal | None
    short_entry_avg_px: Decimal | None
    long_exit_avg_px: Decimal | None
    short_exit_avg_px: Decimal | None
    entry_fees_usdt: Decimal
    exit_fees_usdt: Decimal
    funding_usdt: Decimal
    realized_pnl_usdt: Decimal | None
    close_reason: str | None
    entry_parts: int
    entry_parts_done: int
    exit_parts: int
    exit_parts_done: int
    adds_done: int
    entry_spread_pct: Decimal | None
    last_part_spread_pct: Decimal | None
    opened_at: datetime
    closed_at: datetime | None
    updated_at: datetime

    @property
    def open_base(self) -> Decimal:
        return self.entered_base - self.exited_base


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An order as it is sent to an exchange."""

    exchange: Venue
    symbol: str
    client_id: str
    side: Side
    purpose: OrderPurpose
    requested_base: Decimal
    sent_at: datetime
    trade_id: int | None = None
    order_type: OrderType = OrderType.LIMIT
    tif: TimeInForce = TimeInForce.IOC
    price: Decimal | None = None
    reduce_only: bool = False
    leg: str | None = None  # "L" long leg, "S" short leg
    part: int | None = None
    attempt: int = 0
    status: OrderStatus = OrderStatus.NEW
    tick_to_order_ns: int | None = None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """A stored exchange order and what became of it."""

    id: int
    trade_id: int | None
    exchange: Venue
    symbol: str
    client_id: str
    exchange_order_id: str | None
    side: Side
    purpose: OrderPurpose
    order_type: OrderType
    tif: TimeInForce
    price: Decimal | None
    reduce_only: bool
    leg: str | None
    part: int | None
    attempt: int
    requested_base: Decimal
    filled_base: Decimal
    avg_price: Decimal | None
    fee_usdt: Decimal
    status: OrderStatus
    error: str | None
    sent_at: datetime
    acked_at: datetime | None
    tick_to_order_ns: int | None
    ack_latency_ns: int | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One entry of the append-only journal.

    `payload` is JSON: Decimals and datetimes written into it come back as strings.
    """

    id: int
    ts: datetime
    kind: str
    pair_id: int | None
    trade_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LeverageCacheEntry:
    """The leverage and margin mode last confirmed on an exchange for a symbol."""

    exchange: Venue
    symbol: str
    leverage: Decimal
    margin_mode: MarginMode
    updated_at: datetime
