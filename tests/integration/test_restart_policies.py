"""on_start adopt and ignore: a second engine on the same database and venues."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.integration.harness import VENUES, btc_pair, engine_settings, quiet_sim_config, wait_for

from arbcore.core.enums import PairState, TradeState, Venue
from arbcore.engine.engine import Engine
from arbcore.persistence.db import open_database
from arbcore.persistence.repositories import Repositories
from arbcore.sim.testing import RunningSim, running_sim

SYMBOL = "BTCUSDT"


async def _run_until(engine: Engine, done: Any) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    await asyncio.wait(
        {task, asyncio.create_task(engine.ready.wait())}, return_when="FIRST_COMPLETED"
    )
    try:
        await done()
    finally:
        stop.set()
        await task


def _positions(sim: RunningSim) -> dict[Venue, Decimal]:
    out = {}
    for venue in VENUES:
        views = sim.exchange(venue).positions(sim.account_id(venue), SYMBOL)
        out[venue] = sum((v.qty for v in views if v.side is not None), Decimal(0))
    return out


async def _open_then_stop(sim: RunningSim, db: Path) -> int:
    """First engine: enter one arbitrage and stop without closing it."""
    pair = btc_pair(take_profit_pct="50")
    engine = Engine(engine_settings(sim, db, [pair], close_on_shutdown=False))

    async def opened() -> None:
        sim.model.start_episode(Venue.BITGET, SYMBOL, 60.0, 2.0)
        await wait_for(lambda: engine.stats.cycles_opened == 1)
        await wait_for(lambda: not any(r.busy for r in engine.runners.values()))

    await _run_until(engine, opened)
    repos = Repositories(open_database(f"sqlite+aiosqlite:///{db}"))
    trades = [t for t in await repos.trades.list_open() if t.state is TradeState.OPEN]
    await repos.db.dispose()
    assert len(trades) == 1
    return trades[0].id


async def test_adopt_takes_the_open_arbitrage_back(tmp_path: Path) -> None:
    db = tmp_path / "arbcore.db"
    async with running_sim(VENUES, seed=3, config=quiet_sim_config()) as sim:
        trade_id = await _open_then_stop(sim, db)
        held = _positions(sim)
        engine = Engine(
            engine_settings(sim, db, [btc_pair(take_profit_pct="50")], on_start="adopt")
        )

        async def adopted() -> None:
            runner = next(iter(engine.runners.values()))
            await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
            assert runner.trade_id == trade_id
            assert runner.position is not None
            assert runner.position.long.qty_base == Decimal("0.010")

        await _run_until(engine, adopted)
        assert engine.reconcile_report.trades_adopted == [trade_id]
        assert _positions(sim) == held  # nothing was traded to adopt it


async def test_ignore_leaves_positions_and_the_trade_open(tmp_path: Path) -> None:
    db = tmp_path / "arbcore.db"
    async with running_sim(VENUES, seed=3, config=quiet_sim_config()) as sim:
        trade_id = await _open_then_stop(sim, db)
        held = _positions(sim)
        engine = Engine(
            engine_settings(sim, db, [btc_pair(take_profit_pct="50")], on_start="ignore")
        )

        async def started() -> None:
            await wait_for(lambda: engine.ready.is_set())

        await _run_until(engine, started)
        assert engine.reconcile_report.trades_ignored == [trade_id]
        assert all(r.position is None for r in engine.runners.values())
        assert _positions(sim) == held
        repos = Repositories(open_database(f"sqlite+aiosqlite:///{db}"))
        assert (await repos.trades.get(trade_id)).state is TradeState.OPEN
        await repos.db.dispose()


async def test_error_outlives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "arbcore.db"
    async with running_sim(VENUES, seed=3, config=quiet_sim_config()) as sim:
        first = Engine(engine_settings(sim, db, [btc_pair()]))

        async def fail() -> None:
            runner = next(iter(first.runners.values()))
            runner._fail("forced by the test")
            await first.recorder.flush()

        await _run_until(first, fail)
        second = Engine(engine_settings(sim, db, [btc_pair()]))

        async def check() -> None:
            runner = next(iter(second.runners.values()))
            assert runner.machine.state is PairState.ERROR
            assert not runner.machine.may_enter

        await _run_until(second, check)
