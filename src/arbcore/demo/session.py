"""Runs the simulator and the engine together for the demo and summarises the result."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from arbcore.core.enums import PositionSide, Venue
from arbcore.engine.engine import Engine
from arbcore.engine.stats import percentile
from arbcore.settings import Settings
from arbcore.sim.config import DivergenceConfig, SimConfig
from arbcore.sim.testing import RunningSim, running_sim

DEMO_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
DEMO_VOLUME_BASE = {"BTCUSDT": "0.02", "ETHUSDT": "0.4", "SOLUSDT": "8"}


def demo_sim_config(seed: int) -> SimConfig:
    """Divergence episodes every few seconds, large enough to beat both venues' fees."""
    return SimConfig(
        seed=seed,
        coins=("BTC", "ETH", "SOL"),
        divergence=DivergenceConfig(
            noise_bps_per_sqrt_s=1.0,
            half_life_s=3.0,
            episode_every_s=12.0,
            episode_size_bps=45.0,
            episode_duration_s=4.0,
        ),
        updates_per_s=20.0,
    )


def demo_settings(sim: RunningSim, venues: Sequence[Venue], db_path: Path) -> Settings:
    exchanges: dict[str, Any] = {}
    for venue in venues:
        ep = sim.endpoints[venue]
        exchanges[venue.value] = {
            "enabled": True,
            "env": "sim",
            "trade": True,
            "rest_url": ep.rest_url,
            "ws_public_url": ep.ws_public_url,
            "ws_private_url": ep.ws_private_url,
            "api_key": ep.api_key,
            "secret": ep.secret,
            "passphrase": ep.passphrase,
        }
    pairs = [
        {
            "symbol": symbol,
            "exchanges": [v.value for v in venues],
            "volume_base": DEMO_VOLUME_BASE[symbol],
            "entry_spread_pct": "0.15",
            "take_profit_pct": "0.05",
            "stop_loss_pct": "1.5",
            "leverage": 5,
            "max_slippage_pct": "0.05",
        }
        for symbol in DEMO_SYMBOLS
    ]
    return Settings(
        database={"url": f"sqlite+aiosqlite:///{db_path}"},
        exchanges=exchanges,
        engine={"max_concurrent_arbitrages": 3, "close_on_shutdown": True},
        pairs=pairs,
        logging={"file_path": None, "stderr": False},
        metrics={"enabled": False},
        api={"enabled": False},
    )


def ledger_change_usdt(sim: RunningSim, venues: Sequence[Venue], start: Decimal) -> Decimal:
    """What the simulator's books say the account made: ledger totals minus deposits."""
    total = Decimal(0)
    for venue in venues:
        exchange = sim.exchange(venue)
        account = exchange.account(sim.account_id(venue))
        total += account.ledger_total() - start
    return total


def open_exposure_base(sim: RunningSim, venues: Sequence[Venue]) -> dict[str, Decimal]:
    """Net base position per symbol across venues, from the simulator's ground truth."""
    net: dict[str, Decimal] = {}
    for venue in venues:
        exchange = sim.exchange(venue)
        for view in exchange.positions(sim.account_id(venue)):
            if view.side is None or view.qty == 0:
                continue
            inst = exchange.instrument(view.symbol)
            sign = 1 if view.side is PositionSide.LONG else -1
            signed = inst.to_base_qty(view.qty) * sign
            net[view.symbol] = net.get(view.symbol, Decimal(0)) + signed
    return {s: q for s, q in net.items() if q != 0}


def fresh_sqlite_file(db_path: Path) -> None:
    """Remove a previous demo database (and its WAL files) so each run starts empty."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{db_path}{suffix}").unlink()


async def run_demo(
    venues: Sequence[Venue],
    seed: int,
    duration_s: float | None,
    db_path: Path,
    on_tick: Callable[[Engine, RunningSim], None] | None = None,
    stop: asyncio.Event | None = None,
) -> dict[str, Any]:
    """Start the simulator and the engine, run for `duration_s` (or until `stop`), then stop
    the engine (closing positions) and compare its records with the simulator's ledgers."""
    stop = stop or asyncio.Event()
    config = demo_sim_config(seed)
    async with running_sim(venues, seed=seed, config=config) as sim:
        engine = Engine(demo_settings(sim, venues, db_path))
        task = asyncio.create_task(engine.run(stop))
        loop = asyncio.get_running_loop()
        await asyncio.wait(
            {task, asyncio.create_task(engine.ready.wait())}, return_when="FIRST_COMPLETED"
        )
        started = loop.time()
        while not task.done() and not stop.is_set():
            if duration_s is not None and loop.time() - started >= duration_s:
                break
            if on_tick is not None:
                on_tick(engine, sim)
            await asyncio.sleep(0.25)
        stop.set()
        await task
        stats = engine.stats
        ledger = ledger_change_usdt(sim, venues, config.starting_balance_usdt)
        exposure = open_exposure_base(sim, venues)
        return {
            "venues": [v.value for v in venues],
            "seed": seed,
            "duration_s": round(loop.time() - started, 1),
            "cycles_opened": stats.cycles_opened,
            "cycles_closed": stats.cycles_closed,
            "cycles_rolled_back": stats.cycles_rolled_back,
            "realized_pnl_usdt": str(stats.realized_pnl_usdt),
            "sim_ledger_pnl_usdt": str(ledger),
            "pnl_difference_usdt": str(stats.realized_pnl_usdt - ledger),
            "orders_sent": stats.orders_sent,
            "orders_rejected": stats.orders_rejected,
            "naked_legs_repaired": stats.naked_legs_repaired,
            "errors": stats.errors,
            "open_exposure_base": {s: str(q) for s, q in exposure.items()},
            "tick_to_order_us": {
                "count": len(stats.tick_to_order_ns),
                "p50": stats.tick_to_order_us(50),
                "p90": stats.tick_to_order_us(90),
                "p99": stats.tick_to_order_us(99),
            },
            "tick_to_decision_us": {
                "p50": _us(percentile(stats.tick_to_decision_ns, 50)),
                "p99": _us(percentile(stats.tick_to_decision_ns, 99)),
            },
            "send_both_legs_cpu_us": {
                "p50": _us(percentile(stats.send_cpu_ns, 50)),
                "p99": _us(percentile(stats.send_cpu_ns, 99)),
            },
            "entries_blocked": dict(stats.entries_blocked),
            "database": str(db_path),
        }


def _us(ns: int | None) -> float | None:
    return None if ns is None else ns / 1000.0
