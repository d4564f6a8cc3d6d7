"""The leverage cache (SPEC §7): what leverage and margin mode each exchange last confirmed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from arbcore.core.enums import MarginMode, Venue
from arbcore.core.records import LeverageCacheEntry
from arbcore.persistence.convert import leverage_entry
from arbcore.persistence.db import Database
from arbcore.persistence.tables import LeverageCacheRow


class LeverageCache:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now

    async def get(self, exchange: Venue, symbol: str) -> LeverageCacheEntry | None:
        async with self._db.sessions() as session:
            row = await session.get(LeverageCacheRow, (exchange.value, symbol))
            return None if row is None else leverage_entry(row)

    async def find(self, exchange: Venue | None = None) -> list[LeverageCacheEntry]:
        query = select(LeverageCacheRow).order_by(
            LeverageCacheRow.exchange, LeverageCacheRow.symbol
        )
        if exchange is not None:
            query = query.where(LeverageCacheRow.exchange == exchange.value)
        async with self._db.sessions() as session:
            return [leverage_entry(row) for row in await session.scalars(query)]

    async def set(
        self, exchange: Venue, symbol: str, leverage: Decimal, margin_mode: MarginMode
    ) -> LeverageCacheEntry:
        """Insert or replace the entry for (exchange, symbol) in one statement."""
        values = {
            "exchange": exchange.value,
            "symbol": symbol,
            "leverage": leverage,
            "margin_mode": margin_mode.value,
            "updated_at": self._now(),
        }
        insert = postgresql_insert if self._db.backend == "postgresql" else sqlite_insert
        base = insert(LeverageCacheRow).values(**values)
        statement = base.on_conflict_do_update(
            index_elements=[LeverageCacheRow.exchange, LeverageCacheRow.symbol],
            set_={
                "leverage": base.excluded.leverage,
                "margin_mode": base.excluded.margin_mode,
                "updated_at": base.excluded.updated_at,
            },
        ).returning(LeverageCacheRow)
        async with self._db.sessions.begin() as session:
            row = (await session.scalars(statement)).one()
            return leverage_entry(row)

    async def invalidate(self, exchange: Venue, symbol: str | None = None) -> int:
        """Forget one symbol's entry, or every entry of `exchange`; returns rows removed."""
        statement = delete(LeverageCacheRow).where(LeverageCacheRow.exchange == exchange.value)
        if symbol is not None:
            statement = statement.where(LeverageCacheRow.symbol == symbol)
        async with self._db.sessions.begin() as session:
            result = await session.execute(statement)
            return int(getattr(result, "rowcount", 0))
