"""`arbcore db ...`: migrate the database schema up or down and show its revision."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from arbcore.core.errors import ConfigError

if TYPE_CHECKING:
    from types import ModuleType

T = TypeVar("T")

db_app = typer.Typer(
    name="db",
    help="Database schema migrations (Alembic, shipped inside arbcore).",
    no_args_is_help=True,
)

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="Database URL (default: database.url from the settings).",
        show_default=False,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Config file (default: $ARBCORE_CONFIG, else configs/app.yaml if present).",
        show_default=False,
    ),
]


def _migrate() -> ModuleType:
    """Alembic and SQLAlchemy load only when a db command runs (keeps `arbcore` fast)."""
    from arbcore.persistence import migrate

    return migrate


def _url(url: str | None, config_path: Path | None) -> str:
    try:
        return str(_migrate().resolve_url(url, config_path))
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _run(url: str, work: Coroutine[Any, Any, T]) -> T:
    """Run `work`; a database or connection failure becomes one error line and exit code 1."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return asyncio.run(work)
    except (SQLAlchemyError, OSError, CommandError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        typer.echo(f"error: {_shown(url)}: {reason}", err=True)
        raise typer.Exit(code=1) from None


@db_app.command("upgrade")
def upgrade(
    rev: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Create or migrate the schema up to REV (default: head)."""
    target = _url(url, config)
    _run(target, _migrate().upgrade(target, rev))
    revision = _run(target, _migrate().current(target))
    typer.echo(f"{_shown(target)}: at revision {revision}")


@db_app.command("downgrade")
def downgrade(
    rev: Annotated[str, typer.Argument(help="Target revision; `base` drops every table.")],
    url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Migrate the schema down to REV."""
    target = _url(url, config)
    _run(target, _migrate().downgrade(target, rev))
    revision = _run(target, _migrate().current(target))
    typer.echo(f"{_shown(target)}: at revision {revision or 'base (empty)'}")


@db_app.command("current")
def current(url: UrlOption = None, config: ConfigOption = None) -> None:
    """Print the schema revision of the database and whether it is the newest."""
    target = _url(url, config)
    revision = _run(target, _migrate().current(target))
    head = _migrate().head_revision()
    state = "up to date" if revision == head else f"behind head {head}"
    typer.echo(f"{_shown(target)}: at revision {revision or 'base (empty)'} ({state})")
