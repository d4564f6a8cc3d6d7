"""`arbcore pairs list|add|start|pause|remove`: manage Pairs in the database, validated."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from arbcore.cli.common import ConfigOpt, call_control
from arbcore.core.enums import MarginMode, Venue
from arbcore.core.models import PairSpec
from arbcore.core.records import PairRecord

pairs_app = typer.Typer(help="Manage Pairs (arbitrage configurations) in the database.")


def _show(records: list[PairRecord]) -> None:
    table = Table()
    for col in (
        "id",
        "symbol",
        "exchanges",
        "volume",
        "entry %",
        "tp %",
        "sl %",
        "enabled",
        "state",
    ):
        table.add_column(col)
    for r in records:
        s = r.spec
        table.add_row(
            str(r.id),
            s.symbol,
            ",".join(v.value for v in s.exchanges),
            str(s.volume_base),
            str(s.entry_spread_pct),
            str(s.take_profit_pct),
            str(s.stop_loss_pct),
            "yes" if s.enabled else "no",
            r.state.value,
        )
    Console().print(table)


@pairs_app.command("list")
def list_pairs(config: ConfigOpt = None) -> None:
    """List stored Pairs with their parameters and state."""
    records = call_control(config, "list_pairs")
    assert isinstance(records, list)
    _show(records)


@pairs_app.command("add")
def add(
    symbol: Annotated[str, typer.Option(help="arbcore symbol, e.g. BTCUSDT.")],
    exchanges: Annotated[str, typer.Option(help="Comma-separated venues, e.g. bybit,bitget.")],
    volume: Annotated[Decimal, typer.Option(help="Total base quantity per arbitrage.")],
    entry_spread_pct: Annotated[Decimal, typer.Option(help="Enter at this net spread, %.")],
    take_profit_pct: Annotated[Decimal, typer.Option(help="Close at this pnl, %.")],
    stop_loss_pct: Annotated[Decimal, typer.Option(help="Close at this loss, %.")],
    entry_parts: Annotated[int, typer.Option(min=1)] = 1,
    exit_parts: Annotated[int, typer.Option(min=1)] = 1,
    leverage: Annotated[int, typer.Option(min=1)] = 1,
    margin_mode: Annotated[MarginMode, typer.Option()] = MarginMode.ISOLATED,
    add_step_pct: Annotated[Decimal, typer.Option()] = Decimal(0),
    max_adds: Annotated[int, typer.Option(min=0)] = 0,
    max_slippage_pct: Annotated[Decimal, typer.Option()] = Decimal("0.1"),
    paused: Annotated[bool, typer.Option(help="Store it paused.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Add a Pair after validating it against every exchange's instrument limits."""
    try:
        venues = tuple(Venue(v.strip()) for v in exchanges.split(","))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--exchanges") from None
    spec = PairSpec(
        symbol=symbol.upper(),
        exchanges=venues,
        volume_base=volume,
        entry_spread_pct=entry_spread_pct,
        take_profit_pct=take_profit_pct,
        stop_loss_pct=stop_loss_pct,
        entry_parts=entry_parts,
        exit_parts=exit_parts,
        leverage=leverage,
        margin_mode=margin_mode,
        add_step_pct=add_step_pct,
        max_adds=max_adds,
        max_slippage_pct=max_slippage_pct,
        enabled=not paused,
    )
    record = call_control(config, "add_pair", spec)
    assert isinstance(record, PairRecord)
    typer.echo(f"pair {record.id} added: {record.spec.symbol} on {','.join(venues)}")


@pairs_app.command("start")
def start(pair_id: int, config: ConfigOpt = None) -> None:
    """Enable a Pair (a running engine starts it within seconds)."""
    call_control(config, "set_enabled", pair_id, True)
    typer.echo(f"pair {pair_id} enabled")


@pairs_app.command("pause")
def pause(pair_id: int, config: ConfigOpt = None) -> None:
    """Stop new entries of a Pair; an open position keeps its exits and stop loss."""
    call_control(config, "set_enabled", pair_id, False)
    typer.echo(f"pair {pair_id} paused")


@pairs_app.command("remove")
def remove(pair_id: int, config: ConfigOpt = None) -> None:
    """Delete a Pair that has no open arbitrage (its history stays)."""
    call_control(config, "remove_pair", pair_id)
    typer.echo(f"pair {pair_id} removed")


@pairs_app.command("clear-error")
def clear_error(pair_id: int, config: ConfigOpt = None) -> None:
    """Ask the running engine to clear a Pair's ERROR (only if the venues are hedged or
    flat as recorded); the Pair then stays paused until `pairs start`."""
    call_control(config, "request_clear_error", pair_id)
    typer.echo(f"pair {pair_id}: clear requested; see `arbcore pairs list` and the events journal")
