"""Helpers shared by command modules: settings with clean errors, the loop, control calls."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from arbcore.core.errors import ArbcoreError, ConfigError
from arbcore.settings import Settings, load_settings

T = TypeVar("T")


def settings_or_exit(path: Path | None) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def run_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when installed (lower wake-up latency), else the default loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on POSIX
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="app.yaml (default configs/app.yaml).")
]


async def _with_control(settings: Settings, action: str, *args: object) -> object:
    from arbcore.control import ControlService
    from arbcore.persistence import migrate
    from arbcore.persistence.db import open_database
    from arbcore.persistence.repositories import Repositories

    await migrate.upgrade(settings.database.url)
    db = open_database(**settings.database.model_dump())
    try:
        control = ControlService(settings, Repositories(db))
        method = getattr(control, action)
        return await method(*args)
    finally:
        await db.dispose()


def call_control(config: Path | None, action: str, *args: object) -> object:
    from arbcore.control import PairRefused

    settings = settings_or_exit(config)
    try:
        return run_loop(_with_control(settings, action, *args))
    except PairRefused as exc:
        typer.echo("pair refused:", err=True)
        for problem in exc.problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(1) from None
    except ArbcoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
