"""The database schema (SPEC §8) as SQLAlchemy ORM tables; only persistence imports these."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arbcore.persistence.types import BigIntId, ExactDecimal, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PairRow(Base):
    __tablename__ = "pairs"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(32), index=True)
    exchanges: Mapped[list[str]] = mapped_column(JsonDocument)
    price_only: Mapped[list[str]] = mapped_column(JsonDocument)
    volume_base: Mapped[Decimal] = mapped_column(ExactDecimal)
    entry_parts: Mapped[int] = mapped_column(Integer)
    exit_parts: Mapped[int] = mapped_column(Integer)
    entry_spread_pct: Mapped[Decimal] = mapped_column(ExactDecimal)
    take_profit_pct: Mapped[Decimal] = mapped_column(ExactDecimal)
    stop_loss_pct: Mapped[Decimal] = mapped_column(ExactDecimal)
    leverage: Mapped[int] = mapped_column(Integer)
    margin_mode: Mapped[str] = mapped_column(String(16))
    add_step_pct: Mapped[Decimal] = mapped_column(ExactDecimal)
    max_adds: Mapped[int] = mapped_column(Integer)
    max_slippage_pct: Mapped[Decimal] = mapped_column(ExactDecimal)
    enabled: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class TradeRow(Base):
    __tablename__ = "trades"
    __table_args__ = (
        Index("ix_trades_pair_id_opened_at", "pair_id", "opened_at"),
        Index("ix_trades_state_opened_at", "state", "opened_at"),
        Index("ix_trades_opened_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    pair_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("pairs.id", ondelete="RESTRICT"), nullable=True
    )
    symbol: Mapped[str] = mapped_column(String(32))
    long_exchange: Mapped[str] = mapped_column(String(16))
    short_exchange: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    target_base: Mapped[Decimal] = mapped_column(ExactDecimal)
    entered_base: Mapped[Decimal] = mapped_column(ExactDecimal)
    exited_base: Mapped[Decimal] = mapped_column(ExactDecimal)
    long_entry_avg_px: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    short_entry_avg_px: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    long_exit_avg_px: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    short_exit_avg_px: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    entry_fees_usdt: Mapped[Decimal] = mapped_column(ExactDecimal)
    exit_fees_usdt: Mapped[Decimal] = mapped_column(ExactDecimal)
    funding_usdt: Mapped[Decimal] = mapped_column(ExactDecimal)
    realized_pnl_usdt: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    entry_parts: Mapped[int] = mapped_column(Integer)
    entry_parts_done: Mapped[int] = mapped_column(Integer)
    exit_parts: Mapped[int] = mapped_column(Integer)
    exit_parts_done: Mapped[int] = mapped_column(Integer)
    adds_done: Mapped[int] = mapped_column(Integer)
    entry_spread_pct: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    last_part_spread_pct: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("exchange", "client_id"),
        Index("ix_orders_trade_id_sent_at", "trade_id", "sent_at"),
        Index("ix_orders_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    trade_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("trades.id", ondelete="RESTRICT"), nullable=True
    )
    exchange: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(64))
    exchange_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    side: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(16))
    order_type: Mapped[str] = mapped_column(String(16))
    tif: Mapped[str] = mapped_column(String(16))
    price: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    reduce_only: Mapped[bool] = mapped_column(Boolean)
    leg: Mapped[str | None] = mapped_column(String(1), nullable=True)
    part: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempt: Mapped[int] = mapped_column(Integer)
    requested_base: Mapped[Decimal] = mapped_column(ExactDecimal)
    filled_base: Mapped[Decimal] = mapped_column(ExactDecimal)
    avg_price: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    fee_usdt: Mapped[Decimal] = mapped_column(ExactDecimal)
    status: Mapped[str] = mapped_column(String(24))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    tick_to_order_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    ack_latency_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LeverageCacheRow(Base):
    __tablename__ = "leverage_cache"

    exchange: Mapped[str] = mapped_column(String(16), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    leverage: Mapped[Decimal] = mapped_column(ExactDecimal)
    margin_mode: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EventRow(Base):
    """Append-only: database triggers (see the migration) refuse UPDATE and DELETE."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_ts", "ts"),
        Index("ix_events_trade_id_id", "trade_id", "id"),
        Index("ix_events_pair_id_id", "pair_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    ts: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(64))
    pair_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("pairs.id", ondelete="RESTRICT"), nullable=True
    )
    trade_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("trades.id", ondelete="RESTRICT"), nullable=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


ALL_TABLES = ("pairs", "trades", "orders", "leverage_cache", "events")
