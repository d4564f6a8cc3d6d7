"""Issue 6 end to end: an adverse divergence after entry closes both legs at once at the stop."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from pathlib import Path

from tests.integration.harness import (
    base_position,
    btc_pair,
    flat,
    ledger_change,
    repos_for,
    sim_and_engine,
    used_trades,
    wait_for,
)

from arbcore.core.enums import PairState, TradeState, Venue
from arbcore.core.records import CloseReason, OrderPurpose
from arbcore.exchanges.transport.ratelimit import TRADE

SYMBOL = "BTCUSDT"
BYBIT, BITGET = Venue.BYBIT, Venue.BITGET
STOP_LOSS_PCT = 0.5


async def test_adverse_divergence_triggers_stop_loss_with_parallel_exits(tmp_path: Path) -> None:
    pair = btc_pair(stop_loss_pct=str(STOP_LOSS_PCT), take_profit_pct="5")
    async with sim_and_engine(tmp_path, [pair]) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        sim.model.start_episode(BITGET, SYMBOL, 60.0, 60.0)  # bitget dear: short it
        await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
        assert base_position(sim, BYBIT, SYMBOL) == Decimal("0.01")
        assert base_position(sim, BITGET, SYMBOL) == Decimal("-0.01")
        sim.model.start_episode(BITGET, SYMBOL, 200.0, 60.0)  # bitget runs away: the short loses
        await wait_for(lambda: engine.stats.cycles_closed == 1)
        await wait_for(lambda: runner.machine.state is PairState.READY)
        assert flat(sim, SYMBOL)
        await engine.recorder.flush()
        realized = engine.stats.realized_pnl_usdt
    repos = repos_for(tmp_path)
    trades = await used_trades(repos)
    assert len(trades) == 1
    trade = trades[0]
    assert trade.state is TradeState.CLOSED
    assert trade.close_reason == CloseReason.STOP_LOSS.value
    assert trade.realized_pnl_usdt == realized == ledger_change(sim)
    assert realized < 0
    # the decision: pnl at or below -stop_loss_pct on the books that triggered it
    moves = await repos.events.find(kind="pair_state")
    reasons = [str(e.payload["reason"]) for e in moves if e.payload["dst"] == "EXITING"]
    assert len(reasons) == 1 and reasons[0].startswith("stop_loss")
    match = re.search(r"pnl (-?\d+\.\d+)%", reasons[0])
    assert match is not None
    assert float(match.group(1)) <= -STOP_LOSS_PCT
    # both exit legs went out together: each was sent before the other was answered
    orders = await repos.orders.list_by_trade(trade.id)
    await repos.db.dispose()
    exits = [o for o in orders if o.purpose is OrderPurpose.EXIT]
    assert sorted(o.exchange.value for o in exits) == ["bitget", "bybit"]
    assert all(o.reduce_only for o in exits)
    # The exits are IOC limits capped at max slippage while the price runs away, so on a
    # slow machine one may fill only partly; the rest is then closed by reduce-only
    # balance orders. Either way each venue closed exactly the 0.01 it opened.
    for venue in (BYBIT, BITGET):
        closing = [
            o
            for o in orders
            if o.exchange is venue and o.purpose in (OrderPurpose.EXIT, OrderPurpose.BALANCE)
        ]
        assert all(o.reduce_only for o in closing)
        assert sum((o.filled_base for o in closing), Decimal(0)) == Decimal("0.01")
    first, second = sorted(exits, key=lambda o: o.sent_at)
    assert first.acked_at is not None
    assert second.sent_at <= first.acked_at


async def test_exit_waits_for_both_venues_budget_instead_of_closing_one_leg(
    tmp_path: Path,
) -> None:
    pair = btc_pair(take_profit_pct="50")
    async with sim_and_engine(tmp_path, [pair]) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        sim.model.start_episode(BITGET, SYMBOL, 60.0, 2.0)
        await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
        sent_before = engine.stats.orders_sent
        # Bitget said "too many requests": our limiter pauses its trading calls for 3 s.
        engine.clients[BITGET].limiter.on_rate_limited(TRADE, 3.0)  # type: ignore[attr-defined]
        runner.begin_exit(CloseReason.OPERATOR, "closed by the test")
        await asyncio.sleep(1.0)
        assert engine.stats.orders_sent == sent_before  # no leg went out alone
        assert base_position(sim, BYBIT, SYMBOL) == Decimal("0.01")
        await wait_for(lambda: runner.machine.state is PairState.READY)
        assert flat(sim, SYMBOL)
        await engine.recorder.flush()
    repos = repos_for(tmp_path)
    orders = await repos.orders.list_by_trade((await used_trades(repos))[0].id)
    await repos.db.dispose()
    exits = [o for o in orders if o.purpose is OrderPurpose.EXIT]
    first = {o.exchange: o for o in sorted(exits, key=lambda o: o.sent_at, reverse=True)}
    assert set(first) == {BYBIT, BITGET}  # the first exit of each venue went out together
    assert abs((first[BYBIT].sent_at - first[BITGET].sent_at).total_seconds()) < 0.5
