"""Trades (one row per arbitrage): create, update, read, list with filters, list open."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypedDict, Unpack

from sqlalchemy import insert, select, update

from arbcore.core.enums import TradeState, Venue
from arbcore.core.records import NewTrade, RecordNotFound, TradeRecord
from arbcore.persistence.convert import column_values, new_trade_columns, trade_record
from arbcore.persistence.db import Database
from arbcore.persistence.tables import TradeRow

OPEN_TRADE_STATES = frozenset(
    {
        TradeState.PENDING,
        TradeState.OPENING,
        TradeState.OPEN,
        TradeState.CLOSING,
        TradeState.ERROR,
    }
)
"""States in which a trade may still hold positions on an exchange (a PENDING trade's
first orders may have gone out before a crash let the engine record them)."""


class TradeChanges(TypedDict, total=False):
    """Columns of `trades` that change during an arbitrage's life."""

    state: TradeState
    long_exchange: Venue  # decided when a reserved (PENDING) trade is used
    short_exchange: Venue
    opened_at: datetime
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
    closed_at: datetime | None


class TradeRepository:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now

    async def create(self, new: NewTrade) -> TradeRecord:
        statement = insert(TradeRow).values(**new_trade_columns(new, self._now()))
        async with self._db.sessions.begin() as session:
            return trade_record((await session.scalars(statement.returning(TradeRow))).one())

    async def get(self, trade_id: int) -> TradeRecord:
        async with self._db.sessions() as session:
            row = await session.get(TradeRow, trade_id)
            if row is None:
                raise RecordNotFound(f"trade {trade_id} does not exist")
            return trade_record(row)

    async def update(self, trade_id: int, **changes: Unpack[TradeChanges]) -> TradeRecord:
        unknown = set(changes) - set(TradeChanges.__annotations__)
        if unknown:
            raise TypeError(f"not updatable trade columns: {sorted(unknown)}")
        values = {**column_values(changes), "updated_at": self._now()}
        statement = (
            update(TradeRow).where(TradeRow.id == trade_id).values(**values).returning(TradeRow)
        )
        async with self._db.sessions.begin() as session:
            row = (await session.scalars(statement)).one_or_none()
            if row is None:
                raise RecordNotFound(f"trade {trade_id} does not exist")
            return trade_record(row)

    async def find(
        self,
        *,
        pair_id: int | None = None,
        states: Sequence[TradeState] | None = None,
        symbol: str | None = None,
        opened_from: datetime | None = None,
        opened_before: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        newest_first: bool = True,
    ) -> list[TradeRecord]:
        """Trades matching every given filter, by opening time (newest first by default)."""
        query = select(TradeRow)
        if pair_id is not None:
            query = query.where(TradeRow.pair_id == pair_id)
        if states is not None:
            query = query.where(TradeRow.state.in_([state.value for state in states]))
        if symbol is not None:
            query = query.where(TradeRow.symbol == symbol)
        if opened_from is not None:
            query = query.where(TradeRow.opened_at >= opened_from)
        if opened_before is not None:
            query = query.where(TradeRow.opened_at < opened_before)
        if newest_first:
            query = query.order_by(TradeRow.opened_at.desc(), TradeRow.id.desc())
        else:
            query = query.order_by(TradeRow.opened_at, TradeRow.id)
        query = query.limit(limit).offset(offset)
        async with self._db.sessions() as session:
            return [trade_record(row) for row in await session.scalars(query)]

    async def list_open(self, *, pair_id: int | None = None) -> list[TradeRecord]:
        """Trades that may still hold positions (OPENING, OPEN, CLOSING, ERROR), oldest first."""
        query = (
            select(TradeRow)
            .where(TradeRow.state.in_([state.value for state in OPEN_TRADE_STATES]))
            .order_by(TradeRow.opened_at, TradeRow.id)
        )
        if pair_id is not None:
            query = query.where(TradeRow.pair_id == pair_id)
        async with self._db.sessions() as session:
            return [trade_record(row) for row in await session.scalars(query)]
