"""Issue 6 end to end: leverage cache across restarts; global slots, also lowered at run time."""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.integration.harness import (
    VENUES,
    UpdateCounter,
    base_position,
    btc_pair,
    engine_on,
    flat,
    quiet_sim_config,
    repos_for,
    sim_and_engine,
    used_trades,
    venue_orders,
    wait_for,
)

from arbcore.core.enums import MarginMode, PairState, Venue
from arbcore.engine.engine import Engine
from arbcore.sim.testing import RunningSim, running_sim

BTC, ETH = "BTCUSDT", "ETHUSDT"
BITGET = Venue.BITGET
P = PairState
HOLDING = (P.ENTERING, P.POSITION_OPEN, P.EXITING)


def eth_pair(**overrides: Any) -> dict[str, Any]:
    return btc_pair(symbol=ETH, volume_base="0.1", **overrides)


def count_account_settings(sim: RunningSim) -> Counter[tuple[Venue, str]]:
    """Counts the leverage and margin-mode requests that reach each simulated venue."""
    calls: Counter[tuple[Venue, str]] = Counter()
    for venue in VENUES:
        exchange = sim.exchange(venue)
        for name in ("set_leverage", "set_margin_mode"):
            original = getattr(exchange, name)

            def counted(*args: Any, _v: Venue = venue, _n: str = name, _f: Any = original) -> Any:
                calls[(_v, _n)] += 1
                return _f(*args)

            setattr(exchange, name, counted)
    return calls


async def test_second_start_with_the_same_database_does_not_set_leverage_again(
    tmp_path: Path,
) -> None:
    db = tmp_path / "arbcore.db"
    async with running_sim(VENUES, seed=3, config=quiet_sim_config()) as sim:
        calls = count_account_settings(sim)
        async with engine_on(sim, db, [btc_pair(leverage=5)]):
            pass
        for venue in VENUES:
            assert calls[(venue, "set_leverage")] >= 1
            account = sim.exchange(venue).account(sim.account_id(venue))
            symbol = sim.exchange(venue).instrument(BTC).symbol
            assert account.leverage_of(symbol) == 5
            assert account.margin_mode_of(symbol) is MarginMode.ISOLATED
        after_first = Counter(calls)

        async with engine_on(sim, db, [btc_pair(leverage=5)]) as engine:
            assert engine.runners  # the Pair runs, on the cached settings
        assert calls == after_first

        async with engine_on(sim, tmp_path / "fresh.db", [btc_pair(leverage=5)]):
            pass  # an empty cache asks again ("not modified" is success)
        for venue in VENUES:
            assert calls[(venue, "set_leverage")] > after_first[(venue, "set_leverage")]
    repos = repos_for(tmp_path)
    cached = {(e.exchange, e.symbol): e for e in await repos.leverage.find()}
    await repos.db.dispose()
    assert {v for v, _ in cached} == set(VENUES)
    assert all(e.leverage == Decimal(5) for e in cached.values())
    assert all(e.margin_mode is MarginMode.ISOLATED for e in cached.values())


def watch_holding(engine: Engine) -> list[int]:
    """Records, at every Pair transition, how many Pairs hold or build an arbitrage."""
    counts: list[int] = []

    def on_move(_src: PairState, _dst: PairState, _reason: str) -> None:
        counts.append(sum(r.machine.state in HOLDING for r in engine.runners.values()))

    for runner in engine.runners.values():
        runner.machine.listeners.append(on_move)
    return counts


def symbols_held(sim: RunningSim) -> int:
    return sum(not flat(sim, s) for s in (BTC, ETH))


async def test_one_slot_two_diverging_pairs_trade_one_at_a_time(tmp_path: Path) -> None:
    pairs = [btc_pair(), eth_pair()]
    async with sim_and_engine(tmp_path, pairs, max_concurrent_arbitrages=1) as (sim, engine):
        holding = watch_holding(engine)
        held: list[int] = []
        engine.books.listen(BTC, lambda _b, _t: held.append(symbols_held(sim)))
        sim.model.start_episode(BITGET, BTC, 60.0, 3.0)
        sim.model.start_episode(BITGET, ETH, 60.0, 3.0)
        await wait_for(lambda: engine.stats.entries_blocked.get("no free slot", 0) > 0)
        await wait_for(lambda: engine.stats.cycles_closed >= 1)
        await wait_for(lambda: not any(r.busy or r.position for r in engine.runners.values()))
        assert max(holding) == 1
        assert max(held) == 1
        assert engine.slots.in_use == 0
        await engine.recorder.flush()
    repos = repos_for(tmp_path)
    trades = await used_trades(repos)
    await repos.db.dispose()
    assert trades
    spans = sorted((t.opened_at, t.closed_at) for t in trades)
    for (_, closed), (opened, _) in itertools.pairwise(spans):
        assert closed is not None and closed <= opened  # never two at once


async def test_lowering_the_limit_keeps_running_arbitrages(tmp_path: Path) -> None:
    pairs = [btc_pair(take_profit_pct="5"), eth_pair(take_profit_pct="5")]
    async with sim_and_engine(
        tmp_path, pairs, max_concurrent_arbitrages=2, close_on_shutdown=True
    ) as (sim, engine):
        counter = UpdateCounter(engine, BTC)
        sim.model.start_episode(BITGET, BTC, 60.0, 60.0)
        sim.model.start_episode(BITGET, ETH, 60.0, 60.0)

        def open_now() -> bool:
            return all(r.machine.state is P.POSITION_OPEN for r in engine.runners.values())

        await wait_for(open_now)
        assert engine.slots.in_use == 2
        orders_before = {s: len(venue_orders(sim, BITGET, s)) for s in (BTC, ETH)}
        engine.set_max_concurrent(1)
        await counter.wait_more(20)
        assert open_now()
        assert engine.slots.in_use == 2 and engine.slots.limit == 1
        assert {s: len(venue_orders(sim, BITGET, s)) for s in (BTC, ETH)} == orders_before
        assert base_position(sim, BITGET, BTC) == Decimal("-0.01")
        assert base_position(sim, BITGET, ETH) == Decimal("-0.1")
    assert flat(sim, BTC) and flat(sim, ETH)  # closed at shutdown, not by the new limit
