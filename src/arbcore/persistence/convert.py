"""Row ↔ record conversion: the only place ORM rows turn into core records and back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
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
from arbcore.core.models import PairSpec
from arbcore.core.records import (
    EventRecord,
    LeverageCacheEntry,
    NewOrder,
    NewTrade,
    OrderPurpose,
    OrderRecord,
    PairRecord,
    TradeRecord,
)
from arbcore.persistence.tables import EventRow, LeverageCacheRow, OrderRow, PairRow, TradeRow


def pair_columns(spec: PairSpec) -> dict[str, Any]:
    """The `pairs` columns that hold a PairSpec."""
    return {
        "symbol": spec.symbol,
        "exchanges": [str(venue) for venue in spec.exchanges],
        "price_only": [str(venue) for venue in spec.price_only],
        "volume_base": spec.volume_base,
        "entry_parts": spec.entry_parts,
        "exit_parts": spec.exit_parts,
        "entry_spread_pct": spec.entry_spread_pct,
        "take_profit_pct": spec.take_profit_pct,
        "stop_loss_pct": spec.stop_loss_pct,
        "leverage": spec.leverage,
        "margin_mode": str(spec.margin_mode),
        "add_step_pct": spec.add_step_pct,
        "max_adds": spec.max_adds,
        "max_slippage_pct": spec.max_slippage_pct,
        "enabled": spec.enabled,
    }


def pair_record(row: PairRow) -> PairRecord:
    spec = PairSpec(
        symbol=row.symbol,
        exchanges=tuple(Venue(name) for name in row.exchanges),
        volume_base=row.volume_base,
        entry_spread_pct=row.entry_spread_pct,
        take_profit_pct=row.take_profit_pct,
        stop_loss_pct=row.stop_loss_pct,
        entry_parts=row.entry_parts,
        exit_parts=row.exit_parts,
        leverage=row.leverage,
        margin_mode=MarginMode(row.margin_mode),
        add_step_pct=row.add_step_pct,
        max_adds=row.max_adds,
        max_slippage_pct=row.max_slippage_pct,
        enabled=row.enabled,
        price_only=tuple(Venue(name) for name in row.price_only),
    )
    return PairRecord(
        id=row.id,
        spec=spec,
        state=PairState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
    )


def new_trade_columns(new: NewTrade, now: datetime) -> dict[str, Any]:
    zero = 0
    return {
        "pair_id": new.pair_id,
        "symbol": new.symbol,
        "long_exchange": str(new.long_exchange),
        "short_exchange": str(new.short_exchange),
        "state": str(new.state),
        "target_base": new.target_base,
        "entered_base": zero,
        "exited_base": zero,
        "entry_fees_usdt": zero,
        "exit_fees_usdt": zero,
        "funding_usdt": zero,
        "entry_parts": new.entry_parts,
        "entry_parts_done": zero,
        "exit_parts": new.exit_parts,
        "exit_parts_done": zero,
        "adds_done": zero,
        "entry_spread_pct": new.entry_spread_pct,
        "opened_at": new.opened_at,
        "updated_at": now,
    }


def trade_record(row: TradeRow) -> TradeRecord:
    return TradeRecord(
        id=row.id,
        pair_id=row.pair_id,
        symbol=row.symbol,
        long_exchange=Venue(row.long_exchange),
        short_exchange=Venue(row.short_exchange),
        state=TradeState(row.state),
        target_base=row.target_base,
        entered_base=row.entered_base,
        exited_base=row.exited_base,
        long_entry_avg_px=row.long_entry_avg_px,
        short_entry_avg_px=row.short_entry_avg_px,
        long_exit_avg_px=row.long_exit_avg_px,
        short_exit_avg_px=row.short_exit_avg_px,
        entry_fees_usdt=row.entry_fees_usdt,
        exit_fees_usdt=row.exit_fees_usdt,
        funding_usdt=row.funding_usdt,
        realized_pnl_usdt=row.realized_pnl_usdt,
        close_reason=row.close_reason,
        entry_parts=row.entry_parts,
        entry_parts_done=row.entry_parts_done,
        exit_parts=row.exit_parts,
        exit_parts_done=row.exit_parts_done,
        adds_done=row.adds_done,
        entry_spread_pct=row.entry_spread_pct,
        last_part_spread_pct=row.last_part_spread_pct,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        updated_at=row.updated_at,
    )


def new_order_columns(new: NewOrder, now: datetime) -> dict[str, Any]:
    return {
        "trade_id": new.trade_id,
        "exchange": str(new.exchange),
        "symbol": new.symbol,
        "client_id": new.client_id,
        "side": str(new.side),
        "purpose": str(new.purpose),
        "order_type": str(new.order_type),
        "tif": str(new.tif),
        "price": new.price,
        "reduce_only": new.reduce_only,
        "leg": new.leg,
        "part": new.part,
        "attempt": new.attempt,
        "requested_base": new.requested_base,
        "filled_base": 0,
        "fee_usdt": 0,
        "status": str(new.status),
        "sent_at": new.sent_at,
        "tick_to_order_ns": new.tick_to_order_ns,
        "updated_at": now,
    }


def order_record(row: OrderRow) -> OrderRecord:
    return OrderRecord(
        id=row.id,
        trade_id=row.trade_id,
        exchange=Venue(row.exchange),
        symbol=row.symbol,
        client_id=row.client_id,
        exchange_order_id=row.exchange_order_id,
        side=Side(row.side),
        purpose=OrderPurpose(row.purpose),
        order_type=OrderType(row.order_type),
        tif=TimeInForce(row.tif),
        price=row.price,
        reduce_only=row.reduce_only,
        leg=row.leg,
        part=row.part,
        attempt=row.attempt,
        requested_base=row.requested_base,
        filled_base=row.filled_base,
        avg_price=row.avg_price,
        fee_usdt=row.fee_usdt,
        status=OrderStatus(row.status),
        error=row.error,
        sent_at=row.sent_at,
        acked_at=row.acked_at,
        tick_to_order_ns=row.tick_to_order_ns,
        ack_latency_ns=row.ack_latency_ns,
        updated_at=row.updated_at,
    )


def event_record(row: EventRow) -> EventRecord:
    return EventRecord(
        id=row.id,
        ts=row.ts,
        kind=row.kind,
        pair_id=row.pair_id,
        trade_id=row.trade_id,
        payload=dict(row.payload),
    )


def leverage_entry(row: LeverageCacheRow) -> LeverageCacheEntry:
    return LeverageCacheEntry(
        exchange=Venue(row.exchange),
        symbol=row.symbol,
        leverage=row.leverage,
        margin_mode=MarginMode(row.margin_mode),
        updated_at=row.updated_at,
    )


def column_values(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Enum members become their text; everything else passes as is."""
    return {
        key: (value.value if isinstance(value, Enum) else value) for key, value in changes.items()
    }
