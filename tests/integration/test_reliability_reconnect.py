"""Issue 6 end to end: stale books on stall, drop and gap; no entry and no exit on stale data."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.integration.harness import (
    UpdateCounter,
    base_position,
    btc_pair,
    flat,
    repos_for,
    seen_net_spread_pct,
    sim_and_engine,
    used_trades,
    venue_orders,
    wait_for,
)

from arbcore.core.enums import PairState, TradeState, Venue
from arbcore.core.records import CloseReason
from arbcore.engine.engine import Engine
from arbcore.engine.pair_runner import PairRunner
from arbcore.sim.testing import RunningSim
from arbcore.strategy.spread import closing_pnl_pct

SYMBOL = "BTCUSDT"
BYBIT, BITGET = Venue.BYBIT, Venue.BITGET
STALE_AFTER_MS = 1000
EVER_MS = 10**9  # staleness limit that never applies: what a stale book would say
Transition = tuple[Venue, str, bool, str]


def record_transitions(engine: Engine) -> list[Transition]:
    seen: list[Transition] = []
    engine.books.listen_state(lambda v, s, stale, why: seen.append((v, s, stale, why)))
    return seen


def went_stale_and_back(seen: list[Transition], venue: Venue) -> bool:
    flags = [stale for v, s, stale, _ in seen if v is venue and s == SYMBOL]
    return True in flags and flags[-1] is False and flags.index(True) < len(flags) - 1


def no_orders(sim: RunningSim) -> bool:
    return not venue_orders(sim, BYBIT, SYMBOL) and not venue_orders(sim, BITGET, SYMBOL)


def seen_pnl_pct(engine: Engine, runner: PairRunner) -> float | None:
    """Closing pnl on the engine's books as they are, stale or not."""
    pos = runner.position
    view = pos.hot_view() if pos is not None else None
    if view is None:
        return None
    return closing_pnl_pct(
        view,
        engine.books.get(BYBIT, SYMBOL),
        engine.books.get(BITGET, SYMBOL),
        float(engine.settings.exchanges[BYBIT].taker_fee),
        float(engine.settings.exchanges[BITGET].taker_fee),
        0,
        EVER_MS,
    )


async def test_no_entry_on_a_stalled_book_then_trading_resumes(tmp_path: Path) -> None:
    pair = btc_pair()
    async with sim_and_engine(tmp_path, [pair], stale_after_ms=STALE_AFTER_MS) as (sim, engine):
        seen = record_transitions(engine)
        counter = UpdateCounter(engine, SYMBOL)
        sim.faults(BITGET).stall_ws(5.0)
        await wait_for(lambda: any(v is BITGET and stale for v, _, stale, _ in seen))
        assert not engine.books.is_usable(BITGET, SYMBOL)
        # bybit turns cheap on its live stream: against bitget's stale book that is a spread
        sim.model.start_episode(BYBIT, SYMBOL, -60.0, 12.0)
        threshold = float(pair["entry_spread_pct"])
        await wait_for(
            lambda: (seen_net_spread_pct(engine, BYBIT, BITGET, SYMBOL, 0.01) or 0.0) > threshold
        )
        await counter.wait_more(10, venues=[BYBIT])
        assert not engine.books.is_usable(BITGET, SYMBOL)  # still inside the stall
        assert engine.stats.orders_sent == 0
        assert no_orders(sim)
        # the stall ends: bitget is fresh again and the spread is traded
        await wait_for(lambda: engine.books.is_usable(BITGET, SYMBOL))
        await wait_for(lambda: engine.stats.cycles_opened == 1)
        assert went_stale_and_back(seen, BITGET)
        assert base_position(sim, BYBIT, SYMBOL) == Decimal("0.01")
        assert base_position(sim, BITGET, SYMBOL) == Decimal("-0.01")


async def test_exit_waits_for_fresh_data_and_position_is_held(tmp_path: Path) -> None:
    pair = btc_pair()
    async with sim_and_engine(tmp_path, [pair], stale_after_ms=STALE_AFTER_MS) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        counter = UpdateCounter(engine, SYMBOL)
        sim.model.start_episode(BYBIT, SYMBOL, -60.0, 60.0)  # bybit cheap: buy it
        await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
        sim.faults(BITGET).stall_ws(5.0)
        await wait_for(lambda: not engine.books.is_usable(BITGET, SYMBOL))
        sim.model.start_episode(BYBIT, SYMBOL, 0.0, 60.0)  # converges on bybit's live stream
        take_profit = float(pair["take_profit_pct"])
        await wait_for(lambda: (seen_pnl_pct(engine, runner) or -1.0) >= take_profit)
        await counter.wait_more(10, venues=[BYBIT])
        assert not engine.books.is_usable(BITGET, SYMBOL)
        assert runner.machine.state is PairState.POSITION_OPEN  # no exit on a stale book
        assert len(venue_orders(sim, BYBIT, SYMBOL)) == len(venue_orders(sim, BITGET, SYMBOL)) == 1
        assert base_position(sim, BYBIT, SYMBOL) == Decimal("0.01")
        assert base_position(sim, BITGET, SYMBOL) == Decimal("-0.01")
        await wait_for(lambda: engine.stats.cycles_closed == 1)  # fresh again: take profit
        assert flat(sim, SYMBOL)
        await engine.recorder.flush()
    repos = repos_for(tmp_path)
    trades = await used_trades(repos)
    await repos.db.dispose()
    assert [(t.state, t.close_reason) for t in trades] == [
        (TradeState.CLOSED, CloseReason.TAKE_PROFIT.value)
    ]


async def test_drop_and_sequence_gap_go_stale_resync_and_keep_the_position(
    tmp_path: Path,
) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()]) as (sim, engine):
        runner = next(iter(engine.runners.values()))
        seen = record_transitions(engine)
        sim.model.start_episode(BITGET, SYMBOL, 60.0, 60.0)
        await wait_for(lambda: runner.machine.state is PairState.POSITION_OPEN)
        sent = engine.stats.orders_sent
        sim.faults(BITGET).drop_ws()
        sim.faults(BYBIT).skip_sequence(1)
        await wait_for(lambda: went_stale_and_back(seen, BITGET))
        await wait_for(lambda: went_stale_and_back(seen, BYBIT))
        reasons = {v: why for v, _, stale, why in seen if stale}
        assert reasons[BITGET] and reasons[BYBIT]
        # positions held through the reconnect, nothing sent meanwhile
        assert engine.stats.orders_sent == sent
        assert runner.machine.state is PairState.POSITION_OPEN
        assert base_position(sim, BYBIT, SYMBOL) == Decimal("0.01")
        assert base_position(sim, BITGET, SYMBOL) == Decimal("-0.01")
        # trading goes on over the new streams: convergence closes at take profit
        sim.model.start_episode(BITGET, SYMBOL, 0.0, 60.0)
        await wait_for(lambda: engine.stats.cycles_closed == 1)
        assert flat(sim, SYMBOL)
