"""`arbcore chaos`: the engine process against the simulator under faults and kills, checked."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from arbcore.core.enums import Venue


def chaos(
    cycles: Annotated[int, typer.Option(min=1, help="Closed trades to reach.")] = 30,
    seed: Annotated[int, typer.Option(help="Seed of the simulator and the fault schedule.")] = 7,
    kill_every: Annotated[
        int | None, typer.Option(min=1, help="SIGKILL and restart the engine every K cycles.")
    ] = None,
    venues: Annotated[str, typer.Option(help="Two venues, comma-separated.")] = "bybit,bitget",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    max_minutes: Annotated[float, typer.Option(help="Give up after this long.")] = 60.0,
    keep: Annotated[
        bool, typer.Option(help="Keep the work directory (database, logs) even on success.")
    ] = False,
) -> None:
    """Run a chaos campaign and check every invariant; exit 1 if any fails.

    The simulator and `arbcore run` are separate processes; a seeded schedule injects every
    fault type the simulator has; the engine is killed (SIGKILL) every K cycles and
    restarted with on_start close; at the end it is stopped with SIGTERM (close_on_shutdown)
    and the database is checked against the simulator's ground truth.
    """
    from arbcore.chaos.report import as_dict, as_lines
    from arbcore.chaos.runner import ChaosOptions, run_chaos

    try:
        chosen = tuple(Venue(v.strip().lower()) for v in venues.split(",") if v.strip())
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if len(chosen) != 2:
        raise typer.BadParameter("chaos needs exactly two venues")
    workdir = Path(tempfile.mkdtemp(prefix="arbcore-chaos-"))
    options = ChaosOptions(cycles, seed, kill_every, chosen, workdir, max_minutes=max_minutes)
    outcome = asyncio.run(run_chaos(options))
    if as_json:
        typer.echo(json.dumps(as_dict(outcome), indent=2))
    else:
        for line in as_lines(outcome):
            typer.echo(line)
    if outcome.failures:
        typer.echo(f"work directory kept: {workdir}", err=True)
        raise typer.Exit(1)
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
