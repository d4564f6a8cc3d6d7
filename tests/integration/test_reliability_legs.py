"""Issue 6 end to end: second-leg retry, rollback, partial fills and unknown outcomes per leg."""

from __future__ import annotations

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
    venue_orders,
    wait_for,
)

from arbcore.core.client_ids import parse_client_order_id
from arbcore.core.enums import OrderStatus, PairState, TradeState, Venue
from arbcore.core.records import CloseReason, OrderPurpose, OrderRecord
from arbcore.engine.engine import Engine
from arbcore.sim.events import RejectReason, SimOrder
from arbcore.sim.faults import FaultKind
from arbcore.sim.testing import RunningSim

SYMBOL = "BTCUSDT"
BYBIT, BITGET = Venue.BYBIT, Venue.BITGET
P = PairState
PART = Decimal("0.01")


async def open_and_check_hedged(sim: RunningSim, engine: Engine) -> None:
    """Force bitget dear; wait for the part to end; both venues must hold the same quantity."""
    runner = next(iter(engine.runners.values()))
    sim.model.start_episode(BITGET, SYMBOL, 60.0, 3.0)  # outlasts a rate-limit pause
    await wait_for(lambda: engine.stats.cycles_opened == 1)
    assert runner.machine.state in (P.POSITION_OPEN, P.EXITING)
    assert base_position(sim, BYBIT, SYMBOL) == PART
    assert base_position(sim, BITGET, SYMBOL) == -PART


def of_trade(order: SimOrder, trade_id: int) -> bool:
    parts = parse_client_order_id(order.client_id)
    return parts is not None and parts.trade_id == trade_id


async def short_leg_rows(tmp_path: Path) -> tuple[list[OrderRecord], list[OrderRecord]]:
    repos = repos_for(tmp_path)
    trades = await used_trades(repos)
    assert len(trades) >= 1
    orders = await repos.orders.list_by_trade(trades[0].id)
    await repos.db.dispose()
    entries = [o for o in orders if o.purpose is OrderPurpose.ENTRY]
    return [o for o in entries if o.exchange is BYBIT], [o for o in entries if o.exchange is BITGET]


async def test_rate_limited_second_leg_is_retried_and_hedged(tmp_path: Path) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()]) as (sim, engine):
        sim.faults(BITGET).rate_limit_next(1)
        await open_and_check_hedged(sim, engine)
        assert sim.faults(BITGET).applied[FaultKind.RATE_LIMIT] == 1
        await wait_for(lambda: engine.stats.cycles_closed == 1)
        assert flat(sim, SYMBOL)
        await engine.recorder.flush()
        realized = engine.stats.realized_pnl_usdt
    # the 429 never reached the matching core: one entry and one exit order on bitget
    bitget = venue_orders(sim, BITGET, SYMBOL)
    assert [(o.reduce_only, o.filled_qty) for o in bitget] == [(False, PART), (True, PART)]
    long_rows, short_rows = await short_leg_rows(tmp_path)
    assert [(o.attempt, o.filled_base) for o in long_rows] == [(0, PART)]
    # attempt 0 met the venue's 429; retries wait out the rate-limit pause, the last fills
    assert "429" in (short_rows[0].error or "")
    assert [o.attempt for o in short_rows] == list(range(len(short_rows)))
    assert 2 <= len(short_rows) <= 4
    assert all(o.filled_base == 0 and o.error for o in short_rows[:-1])
    assert short_rows[-1].status is OrderStatus.FILLED and short_rows[-1].filled_base == PART
    assert bitget[0].client_id == short_rows[-1].client_id
    assert realized == ledger_change(sim)


async def test_second_leg_rate_limited_past_every_retry_rolls_back(tmp_path: Path) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()], close_on_shutdown=True) as (sim, engine):
        sim.faults(BITGET).rate_limit_next(4)  # more than the retries can wait out
        sim.model.start_episode(BITGET, SYMBOL, 60.0, 4.0)
        await wait_for(lambda: engine.stats.cycles_rolled_back >= 1)
        await wait_for(lambda: not any(r.busy for r in engine.runners.values()))
        assert sim.faults(BITGET).applied[FaultKind.RATE_LIMIT] >= 2
    assert flat(sim, SYMBOL)
    repos = repos_for(tmp_path)
    first = (await used_trades(repos))[0]
    assert first.state is TradeState.ROLLED_BACK
    assert first.close_reason == CloseReason.ROLLED_BACK.value
    orders = await repos.orders.list_by_trade(first.id)
    await repos.db.dispose()
    short_rows = [o for o in orders if o.exchange is BITGET]
    assert [o.attempt for o in short_rows] == [0, 1, 2, 3]
    assert all(o.filled_base == 0 for o in short_rows)
    rollback = [o for o in orders if o.purpose is OrderPurpose.ROLLBACK]
    assert [(o.exchange, o.reduce_only, o.filled_base) for o in rollback] == [(BYBIT, True, PART)]
    # ground truth of that trade on bybit: the entry and its reduce-only rollback; on bitget
    # nothing reached the matching core (later cycles may trade once the faults are used up)
    bybit_first = [o for o in venue_orders(sim, BYBIT, SYMBOL) if of_trade(o, first.id)]
    assert [(o.reduce_only, o.filled_qty) for o in bybit_first] == [(False, PART), (True, PART)]
    assert not [o for o in venue_orders(sim, BITGET, SYMBOL) if of_trade(o, first.id)]


async def test_final_reject_after_a_retry_rolls_back_to_flat(tmp_path: Path) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()], close_on_shutdown=True) as (sim, engine):
        sim.faults(BITGET).rate_limit_next(1)  # retryable: one retry follows
        sim.faults(BITGET).reject_next_orders(1, RejectReason.INSUFFICIENT_MARGIN)  # final
        sim.model.start_episode(BITGET, SYMBOL, 60.0, 4.0)
        await wait_for(lambda: engine.stats.cycles_rolled_back >= 1)
        await wait_for(lambda: not any(r.busy for r in engine.runners.values()))
    assert flat(sim, SYMBOL)
    repos = repos_for(tmp_path)
    first = (await used_trades(repos))[0]
    assert first.state is TradeState.ROLLED_BACK
    orders = await repos.orders.list_by_trade(first.id)
    await repos.db.dispose()
    short_rows = [o for o in orders if o.exchange is BITGET]
    # retried after the 429 until the final reject, and never after it
    assert "429" in (short_rows[0].error or "")
    assert [o.attempt for o in short_rows] == list(range(len(short_rows)))
    assert short_rows[-1].status is OrderStatus.REJECTED
    assert all(o.filled_base == 0 for o in short_rows)
    assert len(short_rows) < 4
    rollback = [o for o in orders if o.purpose is OrderPurpose.ROLLBACK]
    assert [(o.exchange, o.reduce_only, o.filled_base) for o in rollback] == [(BYBIT, True, PART)]
    # the reject was applied once, and nothing of that trade executed on bitget
    assert sim.faults(BITGET).applied[FaultKind.REJECT_ORDERS] == 1
    assert "40762" in (short_rows[-1].error or "")  # Bitget's insufficient-balance code
    assert not [o for o in venue_orders(sim, BITGET, SYMBOL) if of_trade(o, first.id)]


async def test_partial_fill_of_one_leg_ends_balanced(tmp_path: Path) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()]) as (sim, engine):
        sim.faults(BITGET).partial_fill_next(1, 0.5)
        await open_and_check_hedged(sim, engine)
        assert sim.faults(BITGET).applied[FaultKind.PARTIAL_FILL] == 1
        first_bitget = venue_orders(sim, BITGET, SYMBOL)[0]
        assert first_bitget.filled_qty == Decimal("0.005")  # the fault really hit the leg
        await wait_for(lambda: engine.stats.cycles_closed == 1)
        assert flat(sim, SYMBOL)
        await engine.recorder.flush()
        realized = engine.stats.realized_pnl_usdt
    repos = repos_for(tmp_path)
    trade = (await used_trades(repos))[0]
    await repos.db.dispose()
    assert trade.state is TradeState.CLOSED
    assert trade.entered_base == PART
    assert realized == trade.realized_pnl_usdt == ledger_change(sim)


async def test_execute_then_timeout_is_resolved_by_client_id_without_a_duplicate(
    tmp_path: Path,
) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()]) as (sim, engine):
        sim.faults(BITGET).execute_then_timeout_next(1)
        await open_and_check_hedged(sim, engine)
        assert sim.faults(BITGET).applied[FaultKind.EXECUTE_THEN_TIMEOUT] == 1
        entries = [o for o in venue_orders(sim, BITGET, SYMBOL) if not o.reduce_only]
        assert [(o.status, o.filled_qty) for o in entries] == [(OrderStatus.FILLED, PART)]
        await wait_for(lambda: engine.stats.cycles_closed == 1)
        assert flat(sim, SYMBOL)
        await engine.recorder.flush()
        realized = engine.stats.realized_pnl_usdt
    bitget = venue_orders(sim, BITGET, SYMBOL)
    assert [(o.reduce_only, o.filled_qty) for o in bitget] == [(False, PART), (True, PART)]
    long_rows, short_rows = await short_leg_rows(tmp_path)
    assert [o.client_id for o in short_rows] == [bitget[0].client_id]
    assert short_rows[0].status is OrderStatus.FILLED
    assert short_rows[0].filled_base == PART
    assert short_rows[0].exchange_order_id == bitget[0].order_id
    assert [o.filled_base for o in long_rows] == [PART]
    assert realized == ledger_change(sim)
