"""`arbcore demo`: the real engine against the in-process simulator, over real sockets."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Annotated

import typer

from arbcore.core.enums import Venue


def demo(
    duration: Annotated[
        float | None, typer.Option("--duration", help="Seconds to run; default until Ctrl-C.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Simulator seed.")] = 1,
    venues: Annotated[
        str | None,
        typer.Option("--venues", help="Comma-separated venues; default all implemented."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON summary at exit.")
    ] = False,
    db: Annotated[Path, typer.Option("--db", help="SQLite file (recreated each run).")] = Path(
        "data/demo.db"
    ),
) -> None:
    """Run the demo: simulator + engine + SQLite, with a live view (or --json)."""
    from arbcore.exchanges.registry import supported_venues

    chosen = [Venue(v.strip()) for v in venues.split(",")] if venues else supported_venues()
    if len(chosen) < 2:
        raise typer.BadParameter("the demo needs at least two venues", param_hint="--venues")
    from arbcore.demo.session import fresh_sqlite_file

    fresh_sqlite_file(db)
    summary = asyncio.run(_run(chosen, seed, duration, db, live=not as_json))
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(json.dumps(summary, indent=2))


async def _run(
    venues: list[Venue], seed: int, duration: float | None, db: Path, live: bool
) -> dict[str, object]:
    from arbcore.demo.session import run_demo

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if not live:
        return await run_demo(venues, seed, duration, db, stop=stop)
    from rich.live import Live

    from arbcore.demo.view import render

    with Live(refresh_per_second=4, transient=False) as screen:
        return await run_demo(
            venues,
            seed,
            duration,
            db,
            on_tick=lambda engine, _sim: screen.update(render(engine)),
            stop=stop,
        )
