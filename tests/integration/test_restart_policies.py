"""on_start adopt and ignore: a second engine on the same database and venues."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.integration.harness import (
    VENUES,
    btc_pair,
    engine_settings,
    ledger_change,
    quiet_sim_config,
    wait_for,
)

from arbcore.core.client_ids import client_order_id
from arbcore.core.clock import utc_now
from arbcore.core.enums import PairState, Side, TradeState, Venue
from arbcore.core.records import CloseReason, NewOrder, OrderPurpose
from arbcore.engine.engine import Engine
from arbcore.persistence.db import open_database
from arbcore.persistence.repositories import Repositories
from arbcore.sim.events import LedgerKind
from arbcore.sim.testing import RunningSim, running_sim
from arbcore.strategy.legs import FRESH_ATTEMPTS_FROM

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


async def test_adopted_trade_never_repeats_a_client_id_of_the_earlier_run(tmp_path: Path) -> None:
    """The earlier run sent exit part 1 (say its record was written, its fill and the trade's
    progress were not): the adopted trade's exit must go out under another id."""
    db = tmp_path / "arbcore.db"
    async with running_sim(VENUES, seed=3, config=quiet_sim_config()) as sim:
        trade_id = await _open_then_stop(sim, db)
        first_exit = client_order_id(trade_id, "L", 1, 0, role="x")
        repos = Repositories(open_database(f"sqlite+aiosqlite:///{db}"))
        await repos.orders.record(
            NewOrder(Venue.BYBIT, SYMBOL, first_exit, Side.SELL, OrderPurpose.EXIT,
                     Decimal("0.01"), utc_now(), trade_id, reduce_only=True)
        )  # fmt: skip
        await repos.db.dispose()
        engine = Engine(engine_settings(sim, db, [btc_pair()], on_start="adopt"))

        async def closed() -> None:
            runner = next(iter(engine.runners.values()))
            await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
            runner.begin_exit(CloseReason.OPERATOR, "closed by the test")
            await wait_for(lambda: engine.stats.cycles_closed == 1)

        await _run_until(engine, closed)
        assert engine.reconcile_report.trades_adopted == [trade_id]
        assert all(q == 0 for q in _positions(sim).values())
        for venue in VENUES:
            ids = [o.client_id for o in sim.exchange(venue).account_orders(sim.account_id(venue))]
            assert len(ids) == len(set(ids))  # no id was ever sent twice to a venue
            assert first_exit not in ids
        repos = Repositories(open_database(f"sqlite+aiosqlite:///{db}"))
        exits = [
            o
            for o in await repos.orders.list_by_trade(trade_id)
            if o.purpose is OrderPurpose.EXIT and o.client_id != first_exit
        ]
        await repos.db.dispose()
        long_exits = sorted((o for o in exits if o.leg == "L"), key=lambda o: o.sent_at)
        assert long_exits and long_exits[0].attempt >= FRESH_ATTEMPTS_FROM  # renumbered


async def test_close_at_start_counts_funding_booked_while_the_engine_was_down(
    tmp_path: Path,
) -> None:
    db = tmp_path / "arbcore.db"
    async with running_sim(VENUES, seed=3, config=quiet_sim_config()) as sim:
        trade_id = await _open_then_stop(sim, db)
        for venue in VENUES:  # a funding time passes while no engine runs
            exchange = sim.exchange(venue)
            exchange.settle_funding(exchange.instrument(SYMBOL).venue_symbol, Decimal("0.002"))
        engine = Engine(engine_settings(sim, db, [btc_pair(take_profit_pct="50")]))

        async def started() -> None:
            await wait_for(lambda: engine.ready.is_set())

        await _run_until(engine, started)
        assert engine.reconcile_report.trades_closed == [trade_id]
        assert all(q == 0 for q in _positions(sim).values())
        repos = Repositories(open_database(f"sqlite+aiosqlite:///{db}"))
        trade = await repos.trades.get(trade_id)
        await repos.db.dispose()
        funding = [
            e.amount_usdt
            for v in VENUES
            for e in sim.exchange(v).ledger(sim.account_id(v))
            if e.kind is LedgerKind.FUNDING
        ]
        assert len(funding) == 2 and sum(funding, Decimal(0)) != 0
        assert trade.state is TradeState.CLOSED
        assert trade.realized_pnl_usdt == ledger_change(sim)  # funding included, to the unit
