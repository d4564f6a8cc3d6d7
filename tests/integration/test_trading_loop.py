"""Issue 5 end to end: tick -> two orders -> closed, recorded arbitrage, against the simulator."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

from tests.integration.harness import btc_pair, sim_and_engine, wait_for

from arbcore.core.enums import PairState, TradeState, Venue
from arbcore.core.models import PairSpec
from arbcore.core.records import CloseReason, OrderPurpose
from arbcore.persistence.db import open_database
from arbcore.persistence.repositories import Repositories
from arbcore.sim.events import LedgerKind, RejectReason
from arbcore.sim.testing import RunningSim

SYMBOL = "BTCUSDT"


def flat_on_both(sim: RunningSim) -> bool:
    for venue in (Venue.BYBIT, Venue.BITGET):
        for view in sim.exchange(venue).positions(sim.account_id(venue), SYMBOL):
            if view.qty != 0:
                return False
    return True


def ledger_change(sim: RunningSim) -> Decimal:
    total = Decimal(0)
    for venue in (Venue.BYBIT, Venue.BITGET):
        for entry in sim.exchange(venue).ledger(sim.account_id(venue)):
            if entry.kind is not LedgerKind.DEPOSIT:
                total += entry.amount_usdt
    return total


async def repos_for(tmp_path: Path) -> Repositories:
    return Repositories(open_database(f"sqlite+aiosqlite:///{tmp_path / 'arbcore.db'}"))


async def test_divergence_opens_and_convergence_closes_at_take_profit(tmp_path: Path) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()]) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        sim.model.start_episode(Venue.BITGET, SYMBOL, 60.0, 2.0)  # bitget dear: short it
        await wait_for(lambda: engine.stats.cycles_opened == 1)
        await wait_for(lambda: engine.stats.cycles_closed == 1)
        await wait_for(lambda: runner.machine.state is PairState.READY)
        assert flat_on_both(sim)
        await engine.recorder.flush()
        realized = engine.stats.realized_pnl_usdt
    repos = await repos_for(tmp_path)
    trades = [t for t in await repos.trades.find() if t.state is not TradeState.PENDING]
    assert len(trades) == 1
    trade = trades[0]
    assert trade.state is TradeState.CLOSED
    assert trade.close_reason == CloseReason.TAKE_PROFIT.value
    assert (trade.long_exchange, trade.short_exchange) == (Venue.BYBIT, Venue.BITGET)
    assert trade.entered_base == Decimal("0.010")
    assert trade.realized_pnl_usdt == realized
    assert realized == ledger_change(sim)
    orders = await repos.orders.list_by_trade(trade.id)
    purposes = sorted(o.purpose.value for o in orders)
    assert purposes == ["entry", "entry", "exit", "exit"]
    assert all(o.filled_base == Decimal("0.01") for o in orders)
    entries = [o for o in orders if o.purpose is OrderPurpose.ENTRY]
    assert all(o.tick_to_order_ns is not None and o.tick_to_order_ns > 0 for o in entries)
    await repos.db.dispose()


async def test_rejected_second_leg_rolls_back_to_flat(tmp_path: Path) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()], close_on_shutdown=True) as (sim, engine):
        sim.faults(Venue.BITGET).reject_next_orders(1, RejectReason.INSUFFICIENT_MARGIN)
        sim.model.start_episode(Venue.BITGET, SYMBOL, 60.0, 1.0)
        await wait_for(lambda: engine.stats.cycles_rolled_back >= 1)
        await wait_for(lambda: not any(r.busy for r in engine.runners.values()))
        await engine.recorder.flush()
    repos = await repos_for(tmp_path)
    trades = await repos.trades.find(newest_first=False)
    first = next(t for t in trades if t.state is not TradeState.PENDING)
    assert first.state is TradeState.ROLLED_BACK
    orders = await repos.orders.list_by_trade(first.id)
    by_key = {(o.exchange, o.purpose): o for o in orders}
    assert len(by_key) == len(orders) == 3
    entry = by_key[(Venue.BYBIT, OrderPurpose.ENTRY)]
    rollback = by_key[(Venue.BYBIT, OrderPurpose.ROLLBACK)]
    assert rollback.reduce_only
    assert rollback.filled_base == entry.filled_base == Decimal("0.01")
    rejected = [o for o in orders if o.exchange is Venue.BITGET]
    assert [o.status.value for o in rejected] == ["rejected"]
    assert "40762" in (rejected[0].error or "")  # Bitget's insufficient-balance code
    assert first.realized_pnl_usdt is not None
    assert first.realized_pnl_usdt < 0  # the rollback cost fees and spread
    assert flat_on_both(sim)  # later cycles were closed at shutdown
    await repos.db.dispose()


async def test_insufficient_margin_blocks_entry_with_a_reason(tmp_path: Path) -> None:
    def drain_bitget(sim: RunningSim) -> None:
        account = sim.exchange(Venue.BITGET).account(sim.account_id(Venue.BITGET))
        account.book_entry(LedgerKind.DEPOSIT, Decimal(5) - account.balance_usdt, 0)

    async with sim_and_engine(tmp_path, [btc_pair()], before_start=drain_bitget) as (
        sim,
        engine,
    ):
        sim.model.start_episode(Venue.BITGET, SYMBOL, 60.0, 3.0)
        await wait_for(
            lambda: any(
                r.startswith("insufficient margin on bitget") for r in engine.stats.entries_blocked
            )
        )
        assert engine.stats.orders_sent == 0
        await engine.recorder.flush()
    repos = await repos_for(tmp_path)
    events = await repos.events.find(kind="entry_blocked")
    assert events
    assert "insufficient margin on bitget" in events[0].payload["reason"]
    assert flat_on_both(sim)
    await repos.db.dispose()


async def test_pair_below_an_exchange_minimum_is_refused(tmp_path: Path) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()]) as (_sim, engine):
        spec = PairSpec(
            symbol=SYMBOL,
            exchanges=(Venue.BYBIT, Venue.BITGET),
            volume_base=Decimal("0.0001"),
            entry_spread_pct=Decimal("0.2"),
            take_profit_pct=Decimal("0.1"),
            stop_loss_pct=Decimal("1"),
        )
        problems = engine.validate(spec)
    assert problems
    assert any(p.startswith("bybit: min_qty") for p in problems)
    assert any(p.startswith("bitget: min_qty") for p in problems)


async def test_funding_paid_and_received_counts_in_the_trade_pnl(tmp_path: Path) -> None:
    async with sim_and_engine(tmp_path, [btc_pair(take_profit_pct="0.05")]) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        sim.model.start_episode(Venue.BITGET, SYMBOL, 60.0, 3.0)
        await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
        # longs pay on both venues: our long leg pays, our short leg receives
        for venue in (Venue.BYBIT, Venue.BITGET):
            exchange = sim.exchange(venue)
            exchange.settle_funding(exchange.instrument(SYMBOL).venue_symbol, rate=Decimal("0.002"))
        await wait_for(lambda: engine.stats.cycles_closed == 1)
        await engine.recorder.flush()
    repos = await repos_for(tmp_path)
    trade = next(t for t in await repos.trades.find() if t.state is TradeState.CLOSED)
    funding = [
        e.amount_usdt
        for v in (Venue.BYBIT, Venue.BITGET)
        for e in sim.exchange(v).ledger(sim.account_id(v))
        if e.kind is LedgerKind.FUNDING
    ]
    assert len(funding) == 2
    assert trade.funding_usdt == sum(funding) != 0
    assert trade.realized_pnl_usdt == ledger_change(sim)
    await repos.db.dispose()


async def test_instrument_refresh_reaches_pairs_between_arbitrages(tmp_path: Path) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()]) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        assert await engine.reload_instruments() == 0
        bybit = sim.exchange(Venue.BYBIT)
        old = bybit.instruments[SYMBOL]
        bybit.instruments[SYMBOL] = dataclasses.replace(old, min_qty=Decimal("0.002"))
        assert await engine.reload_instruments() == 1
        assert runner.legs[Venue.BYBIT].instrument.min_qty == Decimal("0.002")
