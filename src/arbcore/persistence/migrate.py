"""Schema migrations from code: upgrade, downgrade, current revision, and model/schema diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from arbcore.persistence.db import create_engine
from arbcore.persistence.tables import Base
from arbcore.settings import load_settings

SCRIPT_LOCATION = "arbcore.persistence:migrations"


def resolve_url(url: str | None = None, config_path: Path | None = None) -> str:
    """`url` if given, else `database.url` of the settings (config file + ARBCORE__* env)."""
    if url:
        return url
    return load_settings(config_path).database.url


def alembic_config(url: str | None = None) -> Config:
    """Alembic config for the packaged migrations; `url` goes as an attribute (no % escaping)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if url is not None:
        config.attributes["url"] = url
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _run_command(connection: Connection, name: str, rev: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    if name == "upgrade":
        command.upgrade(config, rev)
    else:
        command.downgrade(config, rev)


async def _run(url: str, name: str, rev: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_command, name, rev)
            await connection.commit()
    finally:
        await engine.dispose()


async def upgrade(url: str, rev: str = "head") -> None:
    """Migrate the database at `url` up to `rev`."""
    await _run(url, "upgrade", rev)


async def downgrade(url: str, rev: str) -> None:
    """Migrate the database at `url` down to `rev` (`base` drops everything)."""
    await _run(url, "downgrade", rev)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current(url: str) -> str | None:
    """The revision the database at `url` is at; None for an empty database."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_revision)
    finally:
        await engine.dispose()


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def schema_diff(url: str) -> list[Any]:
    """Alembic autogenerate's differences between the models and the database (empty = in sync)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_diff)
    finally:
        await engine.dispose()
