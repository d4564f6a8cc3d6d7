"""`arbcore slots N`: change max_concurrent_arbitrages of the running engine."""

from __future__ import annotations

from typing import Annotated

import typer

from arbcore.cli.common import ConfigOpt, call_control


def slots(
    limit: Annotated[int, typer.Argument(min=0, help="New max_concurrent_arbitrages.")],
    config: ConfigOpt = None,
) -> None:
    """Change how many arbitrages may run at once. Lowering it never closes running ones;
    new entries wait until use falls below the limit. Applied by the running engine within
    seconds (journal event `max_concurrent_set`); set engine.max_concurrent_arbitrages in
    the config for the next start."""
    call_control(config, "request_max_concurrent", limit)
    typer.echo(f"max_concurrent_arbitrages {limit} requested")
