"""Column types that keep Decimals exact and timestamps UTC-aware on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer, Numeric, Text
from sqlalchemy.types import TypeDecorator, TypeEngine

# SQLite turns `INTEGER PRIMARY KEY` (exactly that spelling) into the rowid alias that
# autoincrements; BIGINT would not. PostgreSQL gets BIGINT identities.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC on PostgreSQL (unconstrained: exact value and scale kept); TEXT on SQLite.

    SQLite's NUMERIC affinity stores REAL, so 0.1 + 0.2 would come back as
    0.30000000000000004; plain decimal text keeps every digit. Floats are refused on
    the way in because they are already inexact.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"ExactDecimal takes Decimal or int, got {type(value).__name__}")
        exact = Decimal(value)
        if not exact.is_finite():
            raise ValueError(f"ExactDecimal refuses non-finite value {exact}")
        if dialect.name == "sqlite":
            return format(exact, "f")
        return exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value
        if isinstance(value, float):
            raise TypeError("ExactDecimal column returned a float: the stored value is inexact")
        return Decimal(str(value))


class UtcDateTime(TypeDecorator[datetime]):
    """TIMESTAMPTZ on PostgreSQL; on SQLite naive UTC text. Always returns aware UTC.

    Naive datetimes are refused on the way in: their zone is a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UtcDateTime takes datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"UtcDateTime refuses naive datetime {value.isoformat()}")
        utc_value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc_value.replace(tzinfo=None)
        return utc_value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UtcDateTime column returned {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
