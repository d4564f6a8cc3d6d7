"""Issue 6 end to end: entry and exit in parts, fresh re-check per part, adding as spreads widen."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.integration.harness import (
    UpdateCounter,
    base_position,
    btc_pair,
    flat,
    ledger_change,
    repos_for,
    seen_net_spread_pct,
    sim_and_engine,
    used_trades,
    venue_orders,
    wait_for,
)

from arbcore.core.client_ids import parse_client_order_id
from arbcore.core.enums import OrderStatus, PairState, TradeState, Venue
from arbcore.core.records import CloseReason, OrderPurpose
from arbcore.sim.events import RejectReason
from arbcore.sim.faults import FaultKind

SYMBOL = "BTCUSDT"
BYBIT, BITGET = Venue.BYBIT, Venue.BITGET
P = PairState


def trade_id_of(client_id: str) -> int:
    parts = parse_client_order_id(client_id)
    assert parts is not None, client_id
    return parts.trade_id


async def test_two_entry_parts_and_two_exit_parts_share_one_trade(tmp_path: Path) -> None:
    pair = btc_pair(entry_parts=2, exit_parts=2)
    async with sim_and_engine(tmp_path, [pair]) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        sim.model.start_episode(BITGET, SYMBOL, 60.0, 3.0)  # bitget dear: short it
        await wait_for(lambda: engine.stats.cycles_closed == 1)
        await wait_for(lambda: runner.machine.state is P.READY)
        assert flat(sim, SYMBOL)
        await engine.recorder.flush()
        realized = engine.stats.realized_pnl_usdt
    # ground truth: each venue executed two entry parts and two exit parts of 0.005
    for venue in (BYBIT, BITGET):
        executed = venue_orders(sim, venue, SYMBOL)
        assert [o.status for o in executed] == [OrderStatus.FILLED] * 4
        assert [o.filled_qty for o in executed] == [Decimal("0.005")] * 4
        assert [o.reduce_only for o in executed] == [False, False, True, True]
        assert len({trade_id_of(o.client_id) for o in executed}) == 1
    repos = repos_for(tmp_path)
    trades = await used_trades(repos)
    assert len(trades) == 1
    trade = trades[0]
    assert trade.state is TradeState.CLOSED
    assert trade.close_reason == CloseReason.TAKE_PROFIT.value
    assert trade.entered_base == trade.exited_base == Decimal("0.010")
    assert (trade.entry_parts_done, trade.exit_parts_done) == (2, 2)
    assert trade_id_of(venue_orders(sim, BYBIT, SYMBOL)[0].client_id) == trade.id
    orders = await repos.orders.list_by_trade(trade.id)
    by_purpose: dict[OrderPurpose, list[tuple[int | None, str | None]]] = {}
    for order in orders:
        by_purpose.setdefault(order.purpose, []).append((order.part, order.leg))
        assert order.filled_base == Decimal("0.005")
    expected = [(1, "L"), (1, "S"), (2, "L"), (2, "S")]
    assert sorted(by_purpose[OrderPurpose.ENTRY]) == expected
    assert sorted(by_purpose[OrderPurpose.EXIT]) == expected
    assert set(by_purpose) == {OrderPurpose.ENTRY, OrderPurpose.EXIT}
    assert trade.realized_pnl_usdt == realized == ledger_change(sim)
    await repos.db.dispose()


async def test_second_part_waits_for_fresh_books_to_show_the_spread(tmp_path: Path) -> None:
    """Part 1 fills, then the spread is gone on the next books: no part 2 until it returns."""
    pair = btc_pair(entry_parts=2, take_profit_pct="5")
    async with sim_and_engine(tmp_path, [pair], close_on_shutdown=True) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        counter = UpdateCounter(engine, SYMBOL)
        converged: list[bool] = []

        def converge_after_part_one(src: PairState, dst: PairState, _reason: str) -> None:
            if src is P.READY and dst is P.ENTERING:
                sim.pause_market(True)  # part 1 fills on the books it was decided on
            elif src is P.ENTERING and dst is P.POSITION_OPEN and not converged:
                # Bitget falls and Bybit rises by the whole gap, so whichever venue's next
                # frame arrives first, it alone closes the spread of the open direction.
                converged.append(True)
                sim.model.start_episode(BITGET, SYMBOL, 0.0, 60.0)
                sim.model.start_episode(BYBIT, SYMBOL, 60.0, 60.0)
                for _ in range(200):  # 10 s of model time
                    sim.model.step()
                sim.pause_market(False)

        runner.machine.listeners.append(converge_after_part_one)
        sim.model.start_episode(BITGET, SYMBOL, 60.0, 30.0)
        await wait_for(lambda: bool(converged) and not runner.busy)
        assert runner.position is not None and runner.position.parts_entered == 1
        await counter.wait_more(20)  # fresh books on both venues, the spread is gone
        seen = seen_net_spread_pct(engine, BYBIT, BITGET, SYMBOL, 0.005)
        assert seen is not None and seen < float(pair["entry_spread_pct"])
        assert runner.position.parts_entered == 1
        assert len(venue_orders(sim, BYBIT, SYMBOL)) == len(venue_orders(sim, BITGET, SYMBOL)) == 1
        assert base_position(sim, BYBIT, SYMBOL) == Decimal("0.005")
        assert base_position(sim, BITGET, SYMBOL) == Decimal("-0.005")

        sim.model.start_episode(BYBIT, SYMBOL, 0.0, 30.0)  # the spread is back
        sim.model.start_episode(BITGET, SYMBOL, 60.0, 30.0)
        await wait_for(lambda: runner.position is not None and runner.position.parts_entered == 2)
        await wait_for(lambda: runner.machine.state is P.POSITION_OPEN)
        assert base_position(sim, BYBIT, SYMBOL) == Decimal("0.010")
        assert base_position(sim, BITGET, SYMBOL) == Decimal("-0.010")
        trade_id = runner.trade_id
    assert flat(sim, SYMBOL)  # closed at shutdown
    repos = repos_for(tmp_path)
    trades = await used_trades(repos)
    assert [t.id for t in trades] == [trade_id]
    assert trades[0].entry_parts_done == 2
    assert trades[0].close_reason == CloseReason.SHUTDOWN.value
    entries = [
        o for o in await repos.orders.list_by_trade(trades[0].id) if o.purpose is OrderPurpose.ENTRY
    ]
    assert sorted((o.part, o.leg) for o in entries) == [(1, "L"), (1, "S"), (2, "L"), (2, "S")]
    await repos.db.dispose()


async def test_widening_spread_adds_one_part_and_no_more_than_max_adds(tmp_path: Path) -> None:
    pair = btc_pair(add_step_pct="0.3", max_adds=1, take_profit_pct="5", stop_loss_pct="10")
    async with sim_and_engine(tmp_path, [pair], close_on_shutdown=True) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        counter = UpdateCounter(engine, SYMBOL)
        sim.model.start_episode(BITGET, SYMBOL, 60.0, 60.0)
        await wait_for(lambda: runner.machine.state is P.POSITION_OPEN)
        pos = runner.position
        assert pos is not None and pos.adds_done == 0
        first_spread = pos.entry_spread_pct
        assert first_spread is not None

        sim.model.start_episode(BITGET, SYMBOL, 130.0, 60.0)  # wider: one add
        await wait_for(lambda: pos.adds_done == 1 and runner.machine.state is P.POSITION_OPEN)
        added_spread = pos.entry_spread_pct
        assert added_spread is not None
        assert added_spread >= first_spread + 0.3
        assert base_position(sim, BYBIT, SYMBOL) == Decimal("0.020")
        assert base_position(sim, BITGET, SYMBOL) == Decimal("-0.020")

        sim.model.start_episode(BITGET, SYMBOL, 250.0, 60.0)  # wider again: max_adds reached
        await wait_for(
            lambda: (
                (seen_net_spread_pct(engine, BYBIT, BITGET, SYMBOL, 0.01) or 0.0)
                >= added_spread + 0.3
            )
        )
        await counter.wait_more(20)
        assert pos.adds_done == 1
        assert len(venue_orders(sim, BYBIT, SYMBOL)) == len(venue_orders(sim, BITGET, SYMBOL)) == 2
        assert base_position(sim, BYBIT, SYMBOL) == Decimal("0.020")
        assert base_position(sim, BITGET, SYMBOL) == Decimal("-0.020")
        await engine.recorder.flush()
    assert flat(sim, SYMBOL)
    repos = repos_for(tmp_path)
    trades = await used_trades(repos)
    assert len(trades) == 1
    assert trades[0].adds_done == 1
    assert trades[0].entered_base == Decimal("0.020")
    assert trades[0].last_part_spread_pct is not None
    assert trades[0].last_part_spread_pct >= Decimal(repr(first_spread)) + Decimal("0.3")
    await repos.db.dispose()


async def test_a_rolled_back_later_part_is_not_counted_and_is_tried_again(tmp_path: Path) -> None:
    """Part 2's short leg is refused: part 2 rolls back to part 1's hedge, and since the
    spread is still there, part 2 is entered again; the trade records 2 parts, 0.010."""
    pair = btc_pair(entry_parts=2, take_profit_pct="5")
    async with sim_and_engine(tmp_path, [pair], close_on_shutdown=True) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        armed: list[bool] = []

        def refuse_part_two(src: PairState, dst: PairState, _reason: str) -> None:
            if src is P.ENTERING and dst is P.POSITION_OPEN and not armed:
                armed.append(True)
                sim.faults(BITGET).reject_next_orders(1, RejectReason.INSUFFICIENT_MARGIN)

        runner.machine.listeners.append(refuse_part_two)
        sim.model.start_episode(BITGET, SYMBOL, 60.0, 30.0)
        await wait_for(lambda: sim.faults(BITGET).applied[FaultKind.REJECT_ORDERS] == 1)
        await wait_for(
            lambda: (
                base_position(sim, BITGET, SYMBOL) == Decimal("-0.010")
                and runner.machine.state is P.POSITION_OPEN
                and not runner.busy
            )
        )
        assert base_position(sim, BYBIT, SYMBOL) == Decimal("0.010")
        pos = runner.position
        assert pos is not None and pos.parts_entered == 2
        await engine.recorder.flush()
        trade_id = runner.trade_id
    repos = repos_for(tmp_path)
    trade = next(t for t in await used_trades(repos) if t.id == trade_id)
    orders = await repos.orders.list_by_trade(trade.id)
    await repos.db.dispose()
    assert trade.entry_parts_done == 2
    assert trade.entered_base == Decimal("0.010")
    part_two = sorted(
        (o.attempt, o.leg, o.purpose.value, o.filled_base) for o in orders if o.part == 2
    )
    # round 0 refused and rolled back; round 1 with fresh client ids, both legs filled
    assert part_two == [
        (0, "L", "entry", Decimal("0.005")),
        (0, "L", "rollback", Decimal("0.005")),
        (0, "S", "entry", Decimal("0")),
        (8, "L", "entry", Decimal("0.005")),
        (8, "S", "entry", Decimal("0.005")),
    ]
