"""Async engine and session factory from a URL: SQLite (aiosqlite) or PostgreSQL (asyncpg).

SQLite runs with `journal_mode=WAL`, `foreign_keys=ON` and `synchronous=FULL`. In WAL mode
`NORMAL` survives a crash of the process but may drop the last commits on power loss or an
OS crash; `FULL` syncs the WAL at every commit, so a row acknowledged as committed stays
committed. SPEC §8 says never lose a record, and writes are off the hot path, so the extra
fsync per commit is the right price.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/arbcore.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def json_dumps(value: Any) -> str:
    """JSON for JSON columns: Decimals as exact strings, datetimes as ISO 8601."""
    return json.dumps(value, default=_json_default, separators=(",", ":"))


def normalize_url(url: str | URL) -> URL:
    """Parse a URL and pick the async driver for bare `sqlite://` / `postgresql://` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed


def ensure_sqlite_directory(url: URL) -> None:
    """Create the directory of a file-backed SQLite database."""
    if url.get_backend_name() != "sqlite":
        return
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _apply_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def create_engine(
    url: str | URL = DEFAULT_DATABASE_URL,
    *,
    echo: bool = False,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout_s: float = 30.0,
) -> AsyncEngine:
    """An async engine for `url`; SQLite gets its directory and the pragmas above, PostgreSQL
    the pool sizes."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        ensure_sqlite_directory(parsed)
        engine = create_async_engine(parsed, echo=echo, json_serializer=json_dumps)
        event.listen(engine.sync_engine, "connect", _apply_sqlite_pragmas)
        return engine
    return create_async_engine(
        parsed,
        echo=echo,
        json_serializer=json_dumps,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout_s,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@dataclass(frozen=True, slots=True)
class Database:
    """An engine and its session factory; `await db.dispose()` when done."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @property
    def backend(self) -> str:
        return self.engine.url.get_backend_name()

    async def dispose(self) -> None:
        await self.engine.dispose()


def open_database(
    url: str | URL = DEFAULT_DATABASE_URL,
    *,
    echo: bool = False,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout_s: float = 30.0,
) -> Database:
    """Engine + session factory; with settings: `open_database(**s.database.model_dump())`."""
    engine = create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout_s=pool_timeout_s,
    )
    return Database(engine=engine, sessions=create_session_factory(engine))
