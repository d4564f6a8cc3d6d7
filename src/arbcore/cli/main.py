"""The `arbcore` command: assembles the command groups."""

from __future__ import annotations

import typer

from arbcore import __version__
from arbcore.cli.chaos import chaos
from arbcore.cli.config import config_app
from arbcore.cli.db import db_app
from arbcore.cli.demo import demo
from arbcore.cli.pairs import pairs_app
from arbcore.cli.run import run
from arbcore.cli.sim import sim_app
from arbcore.cli.slots import slots

app = typer.Typer(
    name="arbcore",
    help="Cross-exchange arbitrage core for USDT-margined perpetual futures.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(sim_app, name="sim")
app.command(name="demo")(demo)
app.command(name="run")(run)
app.command(name="chaos")(chaos)
app.add_typer(pairs_app, name="pairs")
app.command(name="slots")(slots)


@app.command()
def version() -> None:
    """Print the arbcore version."""
    typer.echo(__version__)


@app.callback()
def _root() -> None:
    """arbcore: watch order books across exchanges, trade hedged spreads, keep every record."""
