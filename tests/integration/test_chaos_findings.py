"""Engine bugs the chaos campaign found, each pinned by the smallest reproduction."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.integration.harness import (
    VENUES,
    btc_pair,
    engine_on,
    engine_settings,
    flat,
    ledger_change,
    quiet_sim_config,
    repos_for,
    sim_and_engine,
    used_trades,
    venue_orders,
    wait_for,
)

from arbcore.core.enums import PairState, TradeState, Venue
from arbcore.core.records import CloseReason
from arbcore.engine.engine import Engine
from arbcore.sim.faults import FaultKind
from arbcore.sim.testing import running_sim

SYMBOL = "BTCUSDT"


async def test_start_rides_out_a_rate_limit_burst(tmp_path: Path) -> None:
    """429 answers to the first requests (server time, instruments) must not kill the start."""
    async with running_sim(VENUES, seed=5, config=quiet_sim_config()) as sim:
        for venue in VENUES:
            sim.faults(venue).rate_limit_next(4)
        async with engine_on(sim, tmp_path / "arbcore.db", [btc_pair()]) as engine:
            assert engine.ready.is_set()
            assert all(r.machine.state is PairState.READY for r in engine.runners.values())


async def test_restart_reconciles_through_a_rate_limit_burst(tmp_path: Path) -> None:
    """A trade left open by the previous run is reconciled even when the restart's order
    and position queries are answered 429 first."""
    db = tmp_path / "arbcore.db"
    pair = btc_pair(take_profit_pct="5")
    async with running_sim(VENUES, seed=5, config=quiet_sim_config()) as sim:
        async with engine_on(sim, db, [pair]) as engine:
            runner = next(iter(engine.runners.values()))
            sim.model.start_episode(Venue.BITGET, SYMBOL, 60.0, 60.0)
            await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
        assert not flat(sim, SYMBOL)  # stopped without close_on_shutdown: still held
        sim.model.start_episode(Venue.BITGET, SYMBOL, 0.0, 0.1)
        engine = Engine(engine_settings(sim, db, [pair], on_start="close"))
        prepare = engine._prepare_pairs

        async def prepare_then_rate_limit(*args: Any) -> None:
            await prepare(*args)
            for venue in VENUES:  # the next requests are the reconciler's
                sim.faults(venue).rate_limit_next(3)

        engine._prepare_pairs = prepare_then_rate_limit  # type: ignore[method-assign, assignment]
        stop = asyncio.Event()
        task = asyncio.create_task(engine.run(stop))
        await wait_for(lambda: engine.ready.is_set() or task.done())
        assert engine.ready.is_set(), task.exception()
        assert all(sim.faults(v).applied[FaultKind.RATE_LIMIT] == 3 for v in VENUES)
        await wait_for(lambda: flat(sim, SYMBOL))
        stop.set()
        await task
        trades = await used_trades(repos_for(tmp_path))
    assert [t.state for t in trades] == [TradeState.CLOSED]
    assert trades[0].close_reason == CloseReason.RECONCILED.value


async def test_restart_flatten_outlasts_a_burst_of_refused_orders(tmp_path: Path) -> None:
    """The restart's flatten of a stale trade keeps trying through busy answers, so the
    trade closes with its pnl instead of being left in ERROR for a foreign flatten."""
    db = tmp_path / "arbcore.db"
    pair = btc_pair(take_profit_pct="5")
    async with running_sim(VENUES, seed=5, config=quiet_sim_config()) as sim:
        async with engine_on(sim, db, [pair]) as engine:
            runner = next(iter(engine.runners.values()))
            sim.model.start_episode(Venue.BITGET, SYMBOL, 60.0, 60.0)
            await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
        sim.model.start_episode(Venue.BITGET, SYMBOL, 0.0, 0.1)
        sim.faults(Venue.BITGET).reject_next_orders(6, "system_busy")
        async with engine_on(sim, db, [pair], on_start="close"):
            await wait_for(lambda: flat(sim, SYMBOL))
        trades = await used_trades(repos_for(tmp_path))
    assert [t.state for t in trades] == [TradeState.CLOSED]
    assert trades[0].close_reason == CloseReason.RECONCILED.value
    assert trades[0].realized_pnl_usdt == ledger_change(sim)


async def test_repaired_naked_exit_closes_the_trade_with_its_pnl(tmp_path: Path) -> None:
    """An exit whose second leg keeps being refused goes to ERROR; once the repair has made
    both venues flat, the trade is closed in the database with what happened (the Pair
    stays in ERROR for the operator)."""
    pair = btc_pair(take_profit_pct="0.05")
    async with running_sim(VENUES, seed=5, config=quiet_sim_config()) as sim:
        async with engine_on(sim, tmp_path / "arbcore.db", [pair]) as engine:
            runner = next(iter(engine.runners.values()))
            sim.model.start_episode(Venue.BITGET, SYMBOL, 60.0, 60.0)
            await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
            await asyncio.sleep(1.0)  # the entry's verification is done
            sim.faults(Venue.BITGET).reject_next_orders(5, "system_busy")  # exit + 4 balances
            sim.model.start_episode(Venue.BITGET, SYMBOL, 0.0, 0.1)
            await wait_for(lambda: runner.machine.state is PairState.ERROR)
            await wait_for(lambda: flat(sim, SYMBOL))
            await wait_for(lambda: runner.position is None)
            await engine.recorder.flush()
        trades = await used_trades(repos_for(tmp_path))
        assert runner.machine.state is PairState.ERROR
    assert [t.state for t in trades] == [TradeState.CLOSED]
    assert trades[0].close_reason == CloseReason.ERROR.value
    assert trades[0].realized_pnl_usdt == ledger_change(sim)


async def test_clear_error_during_a_rate_limit_is_refused_not_a_crash(tmp_path: Path) -> None:
    """The operator's clear checks the venues' positions; a 429 on that check refuses the
    clear (the operator asks again) instead of escaping and stopping the engine."""
    pair = btc_pair(take_profit_pct="50")
    async with sim_and_engine(tmp_path, [pair]) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        sim.model.start_episode(Venue.BITGET, SYMBOL, 60.0, 60.0)
        await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
        await asyncio.sleep(1.0)  # the entry's verification is done
        runner._fail("forced by the test")
        await wait_for(lambda: not runner.busy)
        sim.faults(Venue.BYBIT).rate_limit_next(1)
        assert await runner.operator_clear() is False
        assert runner.machine.state is PairState.ERROR
        assert await runner.operator_clear() is True
        assert runner.machine.state in (PairState.POSITION_OPEN,)


async def test_exit_after_a_cleared_error_sends_fresh_client_ids(tmp_path: Path) -> None:
    """An exit part that ended in ERROR is sent again after the operator clears it; it must
    use new client ids: an id sent before answers with the old order's fills, which the
    engine would count a second time (trade pnl off, a venue left with a naked leg)."""
    pair = btc_pair(volume_base="0.02", exit_parts=2, take_profit_pct="0.05")
    async with sim_and_engine(tmp_path, [pair]) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        sim.model.start_episode(Venue.BITGET, SYMBOL, 60.0, 60.0)
        await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
        await asyncio.sleep(1.0)  # the entry's verification is done
        sim.faults(Venue.BITGET).reject_next_orders(5, "system_busy")  # exit + 4 balances
        sim.model.start_episode(Venue.BITGET, SYMBOL, 0.0, 0.1)
        await wait_for(lambda: runner.machine.state is PairState.ERROR)
        await wait_for(lambda: not runner.busy and runner.position is not None)
        await asyncio.sleep(1.0)  # the repair has hedged the legs again
        assert await runner.operator_clear()
        await wait_for(lambda: runner.position is None and flat(sim, SYMBOL), timeout_s=30)
        await engine.recorder.flush()
        repos = repos_for(tmp_path)
        trades = await used_trades(repos)
        assert [t.state for t in trades] == [TradeState.CLOSED]
        assert trades[0].realized_pnl_usdt == ledger_change(sim)
        rows = await repos.orders.list_by_trade(trades[0].id)
        assert not [o.client_id for o in rows if "duplicate" in (o.error or "")]
        recorded = {(o.exchange, o.client_id): o.filled_base for o in rows}
        for venue in VENUES:
            for order in venue_orders(sim, venue, SYMBOL):
                assert recorded[(venue, order.client_id)] == order.filled_qty, order.client_id
