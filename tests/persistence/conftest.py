"""Databases for persistence tests: a temp SQLite file always, PostgreSQL when configured.

PostgreSQL runs when ARBCORE_TEST_POSTGRES_URL points at a server (e.g.
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres); the session creates its own
database arbcore_test_<random> there and drops it at the end. ARBCORE_REQUIRE_POSTGRES=1
(CI) turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

from arbcore.persistence import migrate
from arbcore.persistence.db import open_database
from arbcore.persistence.repositories import Repositories
from arbcore.persistence.tables import ALL_TABLES

POSTGRES_URL_ENV = "ARBCORE_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "ARBCORE_REQUIRE_POSTGRES"
SKIP_REASON = "set ARBCORE_TEST_POSTGRES_URL to run PostgreSQL tests"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_server_url() -> str:
    url = os.environ.get(POSTGRES_URL_ENV, "")
    if url:
        return url
    if os.environ.get(REQUIRE_POSTGRES_ENV):
        pytest.fail(f"{REQUIRE_POSTGRES_ENV} is set but {POSTGRES_URL_ENV} is not")
    pytest.skip(SKIP_REASON)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """CREATE DATABASE arbcore_test_<random>; yield its URL; DROP it (even if still in use)."""
    name = f"arbcore_test_{secrets.token_hex(6)}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'arbcore.db'}"


@pytest.fixture(scope="session")
def postgres_migrated_url() -> Iterator[str]:
    """One PostgreSQL database for the whole session, migrated to head."""
    with fresh_postgres_database(postgres_server_url()) as url:
        asyncio.run(migrate.upgrade(url))
        yield url


async def _truncate_all(url: str) -> None:
    tables = ", ".join(ALL_TABLES)
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a fresh SQLite file, or the session's PostgreSQL truncated."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        asyncio.run(migrate.upgrade(url))
        return url
    url = str(request.getfixturevalue("postgres_migrated_url"))
    asyncio.run(_truncate_all(url))
    return url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without any schema: a new SQLite path, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "nested" / "dir")
        return
    with fresh_postgres_database(postgres_server_url()) as url:
        yield url


@pytest.fixture
async def repos(database_url: str) -> AsyncIterator[Repositories]:
    db = open_database(database_url)
    try:
        yield Repositories(db)
    finally:
        await db.dispose()
