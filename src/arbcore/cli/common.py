"""Helpers shared by command modules: settings loading with clean errors, the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import typer

from arbcore.core.errors import ConfigError
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
