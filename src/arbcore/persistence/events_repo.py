"""The append-only events journal: append and read; nothing here changes or removes a row."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from arbcore.core.records import EventRecord
from arbcore.persistence.convert import event_record
from arbcore.persistence.db import Database
from arbcore.persistence.tables import EventRow


class EventJournal:
    """State changes in the order they happened; the database itself refuses UPDATE/DELETE."""

    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now

    async def append(
        self,
        kind: str,
        payload: Mapping[str, Any] | None = None,
        *,
        pair_id: int | None = None,
        trade_id: int | None = None,
        ts: datetime | None = None,
    ) -> EventRecord:
        statement = insert(EventRow).values(
            ts=ts if ts is not None else self._now(),
            kind=kind,
            pair_id=pair_id,
            trade_id=trade_id,
            payload=dict(payload or {}),
        )
        async with self._db.sessions.begin() as session:
            return event_record((await session.scalars(statement.returning(EventRow))).one())

    async def find(
        self,
        *,
        pair_id: int | None = None,
        trade_id: int | None = None,
        kind: str | None = None,
        after_id: int | None = None,
        ts_from: datetime | None = None,
        ts_before: datetime | None = None,
        limit: int = 1000,
    ) -> list[EventRecord]:
        """Events matching every given filter, oldest first; `after_id` pages forward."""
        query = select(EventRow)
        if pair_id is not None:
            query = query.where(EventRow.pair_id == pair_id)
        if trade_id is not None:
            query = query.where(EventRow.trade_id == trade_id)
        if kind is not None:
            query = query.where(EventRow.kind == kind)
        if after_id is not None:
            query = query.where(EventRow.id > after_id)
        if ts_from is not None:
            query = query.where(EventRow.ts >= ts_from)
        if ts_before is not None:
            query = query.where(EventRow.ts < ts_before)
        query = query.order_by(EventRow.id).limit(limit)
        async with self._db.sessions() as session:
            return [event_record(row) for row in await session.scalars(query)]
