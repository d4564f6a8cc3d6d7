"""ExactDecimal and UtcDateTime: what is stored is exactly what was given, or it is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, MetaData, Table, select, text
from sqlalchemy.exc import StatementError

from arbcore.persistence.db import Database, open_database
from arbcore.persistence.types import BigIntId, ExactDecimal, UtcDateTime

metadata = MetaData()
samples = Table(
    "samples",
    metadata,
    Column("id", BigIntId, primary_key=True, autoincrement=True),
    Column("amount", ExactDecimal, nullable=True),
    Column("at", UtcDateTime, nullable=True),
)

EXACT_VALUES = [
    Decimal("0.1") + Decimal("0.2"),
    Decimal("0.123456789012345678"),
    Decimal("-98765432109876543210.000000000000000001"),
    Decimal("1E-18"),
    Decimal("0"),
    Decimal("42"),
]


@pytest.fixture
async def sample_db(database_url: str) -> AsyncIterator[Database]:
    db = open_database(database_url)
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield db
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
    await db.dispose()


async def test_decimals_come_back_exactly(sample_db: Database) -> None:
    async with sample_db.engine.begin() as connection:
        await connection.execute(samples.insert(), [{"amount": v} for v in EXACT_VALUES])
        stored = (await connection.execute(select(samples.c.amount).order_by(samples.c.id))).all()
    assert [row[0] for row in stored] == EXACT_VALUES
    assert all(isinstance(row[0], Decimal) for row in stored)
    assert str(stored[0][0]) == "0.3"


async def test_stored_value_is_exact_decimal_not_float(sample_db: Database) -> None:
    """SQLite keeps decimal text (its NUMERIC would be a REAL); PostgreSQL a NUMERIC."""
    raw_query = {
        "sqlite": "SELECT typeof(amount), amount FROM samples",
        "postgresql": "SELECT pg_typeof(amount)::text, amount::text FROM samples",
    }[sample_db.backend]
    async with sample_db.engine.begin() as connection:
        await connection.execute(samples.insert(), [{"amount": Decimal("0.1") + Decimal("0.2")}])
        raw = (await connection.execute(text(raw_query))).one()
    assert tuple(raw) == ({"sqlite": "text", "postgresql": "numeric"}[sample_db.backend], "0.3")


async def test_inexact_or_non_finite_values_are_refused(sample_db: Database) -> None:
    for bad in (0.1, Decimal("NaN"), Decimal("Infinity"), "0.1", True):
        async with sample_db.engine.begin() as connection:
            with pytest.raises(StatementError):
                await connection.execute(samples.insert(), [{"amount": bad}])


async def test_timestamps_are_stored_and_returned_as_utc(sample_db: Database) -> None:
    tokyo = timezone(timedelta(hours=9))
    moment = datetime(2026, 11, 26, 21, 30, 15, 999999, tzinfo=tokyo)
    async with sample_db.engine.begin() as connection:
        await connection.execute(samples.insert(), [{"at": moment}])
        (stored,) = (await connection.execute(select(samples.c.at))).one()
        later = await connection.scalar(
            select(samples.c.at).where(samples.c.at > datetime(2026, 11, 26, 12, 30, tzinfo=UTC))
        )
    assert stored == moment
    assert stored.tzinfo is UTC
    assert stored.hour == 12
    assert later == moment


async def test_naive_timestamps_are_refused(sample_db: Database) -> None:
    async with sample_db.engine.begin() as connection:
        with pytest.raises(StatementError, match="naive"):
            await connection.execute(samples.insert(), [{"at": datetime(2026, 1, 1)}])
