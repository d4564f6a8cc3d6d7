"""`arbcore run`: the engine against whatever the config points to, until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from arbcore.cli.common import run_loop, settings_or_exit

if TYPE_CHECKING:
    from arbcore.engine.engine import Engine

log = logging.getLogger(__name__)


def run(
    config: Annotated[
        Path | None, typer.Option("--config", help="app.yaml (default configs/app.yaml).")
    ] = None,
) -> None:
    """Run the engine (live, testnet, demo or sim venues, as configured).

    First SIGINT/SIGTERM: stop new entries, let running parts end hedged or flat, close
    positions if `close_on_shutdown`, flush records, exit 0. A second signal skips the
    closing wait (running parts still finish safely).
    """
    from arbcore.engine.engine import Engine
    from arbcore.ops.logging import configure_logging

    settings = settings_or_exit(config)
    configure_logging(settings.logging)
    engine = Engine(settings)
    run_loop(_serve(engine))


async def _serve(engine: Engine) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        if stop.is_set():
            log.warning("second %s: forcing exit once running parts are safe", sig.name)
            engine.force_exit.set()
        else:
            log.info("%s: shutting down", sig.name)
            stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    await engine.run(stop)
    log.info("engine stopped cleanly")
