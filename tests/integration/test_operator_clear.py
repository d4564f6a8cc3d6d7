"""Operator requests to a running engine: clearing ERROR (only when the venues match), slots."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from tests.integration.harness import btc_pair, sim_and_engine, wait_for

from arbcore.control import ControlService
from arbcore.core.enums import OrderType, PairState, Side, Venue
from arbcore.engine import pair_repair
from arbcore.engine.recorder import Recorder
from arbcore.persistence.db import open_database
from arbcore.persistence.repositories import Repositories

SYMBOL = "BTCUSDT"


async def test_clear_error_refused_on_mismatch_then_accepted(tmp_path: Path) -> None:
    pair = btc_pair(take_profit_pct="50")  # keep the position open
    async with sim_and_engine(tmp_path, [pair]) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        sim.model.start_episode(Venue.BITGET, SYMBOL, 60.0, 2.0)
        await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
        # The entry's own position check must be over: it would reduce the hand trade below
        # away as excess (correctly), leaving nothing for the operator's clear to refuse.
        await wait_for(lambda: not runner.busy)
        runner._fail("forced by the test")  # what a failed repair would do
        assert runner.machine.state is PairState.ERROR
        assert not runner.machine.may_enter

        # someone trades the account by hand: the venue no longer matches the records
        bitget = sim.exchange(Venue.BITGET)
        account = sim.account_id(Venue.BITGET)
        bitget.place_order(account, SYMBOL, Side.SELL, OrderType.MARKET, Decimal("0.003"))
        db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'arbcore.db'}")
        repos = Repositories(db)
        control = ControlService(engine.settings, repos)
        await engine.recorder.flush()
        await control.request_clear_error(runner.pair_id)
        refused = await _wait_event(repos, engine.recorder, "clear_error_refused")
        assert "bitget BTCUSDT" in refused
        assert runner.machine.state is PairState.ERROR

        bitget.place_order(account, SYMBOL, Side.BUY, OrderType.MARKET, Decimal("0.003"))
        await control.request_clear_error(runner.pair_id)
        await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN, timeout_s=10)
        assert runner.machine.paused  # stays paused until an operator starts it
        assert runner.position is not None
        await db.dispose()


async def _wait_event(repos: Repositories, recorder: Recorder, kind: str) -> str:
    for _ in range(200):
        await recorder.flush()
        found = await repos.events.find(kind=kind)
        if found:
            return str(found[-1].payload.get("reason", ""))
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {kind} event")


async def test_max_concurrent_changes_in_the_running_engine(tmp_path: Path) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()], max_concurrent_arbitrages=2) as (
        _sim,
        engine,
    ):
        db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'arbcore.db'}")
        control = ControlService(engine.settings, Repositories(db))
        await control.request_max_concurrent(0)
        await wait_for(lambda: engine.slots.limit == 0, timeout_s=10)
        await control.request_max_concurrent(3)
        await wait_for(lambda: engine.slots.limit == 3, timeout_s=10)
        await db.dispose()


async def test_clear_while_a_check_runs_waits_then_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pair_repair, "CLEAR_WAIT_S", 0.5)
    async with sim_and_engine(tmp_path, [btc_pair()]) as (_sim, engine):
        runner = next(iter(engine.runners.values()))
        runner._fail("forced by the test")
        runner.busy = True  # a part or a position check that does not end in time
        db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'arbcore.db'}")
        repos = Repositories(db)
        try:
            await engine.recorder.flush()
            await ControlService(engine.settings, repos).request_clear_error(runner.pair_id)
            refused = await _wait_event(repos, engine.recorder, "clear_error_refused")
            assert "still running" in refused and "ask again" in refused
            assert runner.machine.state is PairState.ERROR
        finally:
            runner.busy = False
        await db.dispose()
