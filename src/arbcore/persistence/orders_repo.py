"""Orders: record every order sent, update it by (exchange, client id), list by trade."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypedDict, Unpack

from sqlalchemy import Select, insert, select, update
from sqlalchemy.exc import IntegrityError

from arbcore.core.enums import OrderStatus, Venue
from arbcore.core.records import DuplicateRecord, NewOrder, OrderRecord, RecordNotFound
from arbcore.persistence.convert import column_values, new_order_columns, order_record
from arbcore.persistence.db import Database
from arbcore.persistence.tables import OrderRow

UNFINISHED_ORDER_STATUSES = frozenset(
    {OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.UNKNOWN}
)


class OrderChanges(TypedDict, total=False):
    """Columns of `orders` that the exchange's answers change."""

    exchange_order_id: str | None
    status: OrderStatus
    filled_base: Decimal
    avg_price: Decimal | None
    fee_usdt: Decimal
    error: str | None
    acked_at: datetime | None
    ack_latency_ns: int | None


class OrderRepository:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now

    async def record(self, new: NewOrder) -> OrderRecord:
        """Store an order about to be sent; a client id used before on that exchange is refused."""
        statement = insert(OrderRow).values(**new_order_columns(new, self._now()))
        try:
            async with self._db.sessions.begin() as session:
                return order_record((await session.scalars(statement.returning(OrderRow))).one())
        except IntegrityError as exc:
            if await self._exists(new.exchange, new.client_id):
                raise DuplicateRecord(
                    f"client id {new.client_id!r} already used on {new.exchange}"
                ) from exc
            raise

    async def update(
        self, exchange: Venue, client_id: str, **changes: Unpack[OrderChanges]
    ) -> OrderRecord:
        unknown = set(changes) - set(OrderChanges.__annotations__)
        if unknown:
            raise TypeError(f"not updatable order columns: {sorted(unknown)}")
        values = {**column_values(changes), "updated_at": self._now()}
        statement = (
            update(OrderRow)
            .where(OrderRow.exchange == exchange.value, OrderRow.client_id == client_id)
            .values(**values)
            .returning(OrderRow)
        )
        async with self._db.sessions.begin() as session:
            row = (await session.scalars(statement)).one_or_none()
            if row is None:
                raise RecordNotFound(f"no order {client_id!r} on {exchange}")
            return order_record(row)

    async def get(self, exchange: Venue, client_id: str) -> OrderRecord:
        async with self._db.sessions() as session:
            row = (await session.scalars(self._by_client_id(exchange, client_id))).one_or_none()
            if row is None:
                raise RecordNotFound(f"no order {client_id!r} on {exchange}")
            return order_record(row)

    async def list_by_trade(self, trade_id: int) -> list[OrderRecord]:
        """Orders of one arbitrage in the order they were sent."""
        query = (
            select(OrderRow)
            .where(OrderRow.trade_id == trade_id)
            .order_by(OrderRow.sent_at, OrderRow.id)
        )
        async with self._db.sessions() as session:
            return [order_record(row) for row in await session.scalars(query)]

    async def find(
        self,
        *,
        exchange: Venue | None = None,
        statuses: Sequence[OrderStatus] | None = None,
        sent_from: datetime | None = None,
        sent_before: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[OrderRecord]:
        """Orders matching every given filter, newest first."""
        query = select(OrderRow)
        if exchange is not None:
            query = query.where(OrderRow.exchange == exchange.value)
        if statuses is not None:
            query = query.where(OrderRow.status.in_([status.value for status in statuses]))
        if sent_from is not None:
            query = query.where(OrderRow.sent_at >= sent_from)
        if sent_before is not None:
            query = query.where(OrderRow.sent_at < sent_before)
        query = query.order_by(OrderRow.sent_at.desc(), OrderRow.id.desc()).limit(limit)
        async with self._db.sessions() as session:
            return [order_record(row) for row in await session.scalars(query.offset(offset))]

    async def list_unfinished(self) -> list[OrderRecord]:
        """Orders whose final outcome is not stored yet (NEW, PARTIALLY_FILLED, UNKNOWN)."""
        return await self.find(statuses=sorted(UNFINISHED_ORDER_STATUSES), limit=1_000_000)

    async def _exists(self, exchange: Venue, client_id: str) -> bool:
        async with self._db.sessions() as session:
            found = await session.scalars(self._by_client_id(exchange, client_id))
            return found.one_or_none() is not None

    @staticmethod
    def _by_client_id(exchange: Venue, client_id: str) -> Select[OrderRow]:
        return select(OrderRow).where(
            OrderRow.exchange == exchange.value, OrderRow.client_id == client_id
        )
