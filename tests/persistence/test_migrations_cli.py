"""`arbcore db ...` and the migrations: create everything, drop everything, match the models."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from typer.testing import CliRunner

from arbcore.cli.main import app
from arbcore.persistence import migrate
from arbcore.persistence.db import create_engine, open_database
from arbcore.persistence.repositories import Repositories
from arbcore.persistence.tables import ALL_TABLES

runner = CliRunner()


def table_names(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                names = await connection.run_sync(lambda c: inspect(c).get_table_names())
                return set(names)
        finally:
            await engine.dispose()

    return asyncio.run(read())


async def write_a_journal_entry(url: str) -> None:
    db = open_database(url)
    try:
        await Repositories(db).events.append("test.entry", {"n": 1})
    finally:
        await db.dispose()


def run_cli(*args: str) -> str:
    result = runner.invoke(app, ["db", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_upgrade_creates_every_table(empty_database_url: str) -> None:
    url = empty_database_url
    assert "base (empty) (behind head 0001)" in run_cli("current", "--url", url)

    assert "at revision 0001" in run_cli("upgrade", "--url", url)

    assert table_names(url) == {*ALL_TABLES, "alembic_version"}
    assert "at revision 0001 (up to date)" in run_cli("current", "--url", url)
    assert asyncio.run(migrate.schema_diff(url)) == []


def test_downgrade_base_then_upgrade_head_round_trips(empty_database_url: str) -> None:
    url = empty_database_url
    asyncio.run(migrate.upgrade(url))
    assert asyncio.run(migrate.current(url)) == migrate.head_revision() == "0001"
    asyncio.run(write_a_journal_entry(url))

    assert "base (empty)" in run_cli("downgrade", "base", "--url", url)
    assert table_names(url) == {"alembic_version"}
    assert asyncio.run(migrate.current(url)) is None

    asyncio.run(migrate.upgrade(url, "head"))
    assert table_names(url) == {*ALL_TABLES, "alembic_version"}
    assert asyncio.run(migrate.schema_diff(url)) == []


def test_schema_diff_sees_drift(empty_database_url: str) -> None:
    """The no-diff assertions above can fail: a schema that differs from the models shows up."""
    url = empty_database_url
    asyncio.run(migrate.upgrade(url))

    async def drift() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("DROP INDEX ix_orders_sent_at"))
                await connection.execute(text("ALTER TABLE pairs ADD COLUMN stray INTEGER"))
        finally:
            await engine.dispose()

    asyncio.run(drift())
    diff = asyncio.run(migrate.schema_diff(url))
    kinds = {entry[0] for entry in diff if isinstance(entry, tuple)}
    assert {"add_index", "remove_column"} <= kinds


def test_cli_url_defaults_to_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'from_env' / 'arbcore.db'}"
    monkeypatch.setenv("ARBCORE__DATABASE__URL", url)

    assert "at revision 0001" in run_cli("upgrade")

    assert table_names(url) == {*ALL_TABLES, "alembic_version"}


def test_cli_url_from_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARBCORE__DATABASE__URL", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path / 'from_file.db'}"
    config = tmp_path / "app.yaml"
    config.write_text(f"database:\n  url: {url}\n")

    assert "up to date" not in run_cli("current", "--config", str(config))
    run_cli("upgrade", "--config", str(config))

    assert "at revision 0001 (up to date)" in run_cli("current", "--config", str(config))
    assert table_names(url) == {*ALL_TABLES, "alembic_version"}


def test_cli_errors_are_one_line_with_exit_code_1(tmp_path: Path) -> None:
    refused = "postgresql+asyncpg://postgres@127.0.0.1:1/arbcore"
    bad_revision = ["upgrade", "nosuchrev", "--url", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"]
    for args, expected in (
        (["upgrade", "--url", refused], "127.0.0.1:1"),
        (bad_revision, "nosuchrev"),
    ):
        result = runner.invoke(app, ["db", *args])
        assert result.exit_code == 1
        assert expected in result.output
        assert "Traceback" not in result.output


def test_sqlite_runs_with_wal_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a' / 'b' / 'arbcore.db'}"

    def pragmas(connection: Connection) -> tuple[object, ...]:
        return tuple(
            connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        )

    async def read() -> tuple[object, ...]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(pragmas)
        finally:
            await engine.dispose()

    assert asyncio.run(read()) == ("wal", 2, 1, 10_000)
    assert (tmp_path / "a" / "b" / "arbcore.db").is_file()
