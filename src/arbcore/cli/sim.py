"""`arbcore sim`: run simulated exchanges on loopback ports; script their faults over HTTP."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from arbcore.core.enums import Venue

sim_app = typer.Typer(
    help="Simulated exchanges speaking the real wire protocols (loopback only).",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _parse_venues(text: str) -> tuple[Venue, ...]:
    try:
        return tuple(Venue(v.strip().lower()) for v in text.split(",") if v.strip())
    except ValueError as exc:
        known = ", ".join(v.value for v in Venue)
        raise typer.BadParameter(f"{exc}; known venues: {known}") from exc


async def _serve(venues: tuple[Venue, ...], seed: int | None, config_file: Path | None) -> None:
    from arbcore.sim.cluster import SimCluster
    from arbcore.sim.config import SimConfig

    base = SimConfig.from_file(config_file) if config_file is not None else SimConfig()
    update: dict[str, Any] = {"venues": venues}
    if seed is not None:
        update["seed"] = seed
    cluster = SimCluster(base.model_copy(update=update))
    await cluster.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        for venue in venues:
            typer.echo(json.dumps(cluster.endpoints(venue).as_dict()))
        sys.stdout.flush()
        await stop.wait()
    finally:
        await cluster.stop()


@sim_app.callback()
def sim(
    ctx: typer.Context,
    venues: Annotated[
        str, typer.Option(help="Comma-separated venues, e.g. bybit,bitget.")
    ] = "bybit",
    seed: Annotated[int | None, typer.Option(help="Seed of the price model (default 1).")] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="SimConfig as JSON or YAML.", exists=True)
    ] = None,
) -> None:
    """Serve the venues until Ctrl-C; print one JSON line per venue (URLs and demo keys)."""
    if ctx.invoked_subcommand is not None:
        return
    asyncio.run(_serve(_parse_venues(venues), seed, config))


def _control(url: str, method: str, payload: dict[str, Any] | None = None) -> Any:
    import urllib.request

    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{url.rstrip('/')}/__sim/faults", data=data, method=method,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


@sim_app.command("fault")
def fault(
    kind: Annotated[str, typer.Argument(help="drop_ws, stall_ws, skip_sequence, ...")],
    url: Annotated[str, typer.Option(help="The venue's REST URL printed by `arbcore sim`.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value, e.g. seconds=2")
    ] = None,
) -> None:
    """Arm a fault on a running simulated venue (POST <url>/__sim/faults)."""
    spec: dict[str, Any] = {"fault": kind}
    for item in param or []:
        name, _, value = item.partition("=")
        try:
            spec[name] = json.loads(value)
        except json.JSONDecodeError:
            spec[name] = value
    typer.echo(json.dumps(_control(url, "POST", spec)))


@sim_app.command("faults")
def faults(
    url: Annotated[str, typer.Option(help="The venue's REST URL printed by `arbcore sim`.")],
) -> None:
    """Print the fault counters and log of a running simulated venue."""
    typer.echo(json.dumps(_control(url, "GET")))
