"""Pairs: create, read, update parameters, set state, soft-delete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, insert, select, update

from arbcore.core.enums import PairState
from arbcore.core.models import PairSpec
from arbcore.core.records import PairRecord, RecordNotFound, StateConflict
from arbcore.persistence.convert import pair_columns, pair_record
from arbcore.persistence.db import Database
from arbcore.persistence.tables import PairRow


class PairRepository:
    """Stored Pairs. Deleting keeps the row (trades and events refer to it) and hides it."""

    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now

    async def create(self, spec: PairSpec, state: PairState = PairState.PAUSED) -> PairRecord:
        now = self._now()
        values = {**pair_columns(spec), "state": state.value, "created_at": now, "updated_at": now}
        async with self._db.sessions.begin() as session:
            statement = insert(PairRow).values(**values).returning(PairRow)
            row = (await session.scalars(statement)).one()
            return pair_record(row)

    async def get(self, pair_id: int) -> PairRecord:
        async with self._db.sessions() as session:
            row = await session.get(PairRow, pair_id)
            if row is None:
                raise RecordNotFound(f"pair {pair_id} does not exist")
            return pair_record(row)

    async def find(
        self,
        *,
        symbol: str | None = None,
        state: PairState | None = None,
        enabled: bool | None = None,
        include_deleted: bool = False,
    ) -> list[PairRecord]:
        query = select(PairRow).order_by(PairRow.id)
        if symbol is not None:
            query = query.where(PairRow.symbol == symbol)
        if state is not None:
            query = query.where(PairRow.state == state.value)
        if enabled is not None:
            query = query.where(PairRow.enabled == enabled)
        if not include_deleted:
            query = query.where(PairRow.deleted_at.is_(None))
        async with self._db.sessions() as session:
            return [pair_record(row) for row in await session.scalars(query)]

    async def update(self, pair_id: int, spec: PairSpec) -> PairRecord:
        """Replace the parameters of a live (not deleted) Pair; the state is kept."""
        values = {**pair_columns(spec), "updated_at": self._now()}
        return await self._update(pair_id, values)

    async def set_state(
        self, pair_id: int, state: PairState, *, expected: PairState | None = None
    ) -> PairRecord:
        """Store a new state; with `expected`, only if the stored state is still `expected`."""
        condition = None if expected is None else PairRow.state == expected.value
        return await self._update(
            pair_id, {"state": state.value, "updated_at": self._now()}, condition
        )

    async def delete(self, pair_id: int) -> PairRecord:
        """Mark the Pair deleted: it disappears from `list` but stays readable by id."""
        now = self._now()
        return await self._update(pair_id, {"deleted_at": now, "enabled": False, "updated_at": now})

    async def _update(
        self, pair_id: int, values: dict[str, object], condition: ColumnElement[bool] | None = None
    ) -> PairRecord:
        statement = (
            update(PairRow)
            .where(PairRow.id == pair_id, PairRow.deleted_at.is_(None))
            .values(**values)
            .returning(PairRow)
        )
        if condition is not None:
            statement = statement.where(condition)
        async with self._db.sessions.begin() as session:
            row = (await session.scalars(statement)).one_or_none()
            if row is not None:
                return pair_record(row)
            current = await session.get(PairRow, pair_id)
        if current is None:
            raise RecordNotFound(f"pair {pair_id} does not exist")
        if current.deleted_at is not None:
            raise RecordNotFound(f"pair {pair_id} was deleted")
        raise StateConflict(
            f"pair {pair_id} is {current.state}, not the expected state",
            actual=PairState(current.state),
        )
