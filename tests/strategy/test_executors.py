"""Entry and exit parts end hedged or flat under rejects, partial fills and unknown outcomes."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal

from tests.strategy.fake_trading import FakeTrading, Script, btc

from arbcore.core.client_ids import client_order_id, parse_client_order_id
from arbcore.core.enums import Side, Venue
from arbcore.core.errors import (
    DuplicateClientOrderId,
    InsufficientMargin,
    RateLimited,
    ReduceOnlyRejected,
)
from arbcore.exchanges.base import Trading
from arbcore.strategy.balance import balance_legs
from arbcore.strategy.entry import PartPlan, enter_part, entry_request, send_entry_legs
from arbcore.strategy.exit import ExitPlan, exit_part
from arbcore.strategy.journal import MemoryJournal, OrderPurpose
from arbcore.strategy.legs import FRESH_ATTEMPTS_FROM, Leg, LegRunner
from arbcore.strategy.order_tracker import OrderTracker, TrackerTiming
from arbcore.strategy.position import ArbPosition

D = Decimal


def setup(
    long_step: str = "0.001", short_step: str = "0.001"
) -> tuple[FakeTrading, FakeTrading, Leg, Leg, LegRunner, MemoryJournal]:
    long_venue = FakeTrading(Venue.BYBIT, D("60000"))
    short_venue = FakeTrading(Venue.BITGET, D("60300"))
    long_client: Trading = long_venue
    short_client: Trading = short_venue
    long = Leg(long_client, btc(Venue.BYBIT, long_step), 0.0005)
    short = Leg(short_client, btc(Venue.BITGET, short_step), 0.0006)
    journal = MemoryJournal()
    timing = TrackerTiming(poll_interval_s=0.01, final_timeout_s=0.5, not_found_grace_s=0.05)
    runner = LegRunner(OrderTracker(timing), journal, retry_delays_s=(0.001, 0.002, 0.004))
    return long_venue, short_venue, long, short, runner, journal


def plan(long: Leg, short: Leg, qty: str = "0.010", part: int = 1) -> PartPlan:
    return PartPlan(1, 42, part, long, short, D(qty), 60000.0, 60300.0, 0.1, recv_ns=0)


def price_ok(leg: Leg, side: Side, qty: Decimal) -> float | None:
    return 60000.0 if side is Side.BUY else 60300.0


async def test_both_legs_fill_and_part_is_hedged() -> None:
    lv, sv, long, short, runner, journal = setup()
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    out = await enter_part(runner, plan(long, short), pos, price_ok)
    assert out.hedged
    assert pos.long.qty_base == pos.short.qty_base == D("0.010")
    assert out.tick_to_order_ns is not None
    assert lv.sent[0].price == D("60060.0")  # 60000 * 1.001 rounded up to the tick
    assert sv.sent[0].price == D("60239.7")  # 60300 * 0.999 rounded down
    assert lv.sent[0].client_id != sv.sent[0].client_id
    assert [p for _, p, *_ in journal.sent] == [OrderPurpose.ENTRY, OrderPurpose.ENTRY]


async def test_final_reject_of_second_leg_rolls_back_to_flat() -> None:
    lv, sv, long, short, runner, journal = setup()
    sv.next(Script(error=InsufficientMargin("bitget", "balance", "40762")))
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    out = await enter_part(runner, plan(long, short), pos, price_ok)
    assert out.hedged
    assert pos.is_flat
    assert lv.position_base == 0
    assert out.retries == []  # a final reject is not retried
    rollback = lv.sent[-1]
    assert rollback.reduce_only
    assert rollback.side is Side.SELL
    assert journal.sent[-1][1] is OrderPurpose.ROLLBACK


async def test_retryable_failure_is_retried_at_the_original_limit() -> None:
    _lv, sv, long, short, runner, _ = setup()
    sv.next(Script(error=RateLimited("bitget", "429")), Script())
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    out = await enter_part(runner, plan(long, short), pos, price_ok)
    assert out.hedged
    assert pos.short.qty_base == D("0.010")
    assert len(out.retries) == 1
    assert sv.sent[1].price == sv.sent[0].price
    assert sv.sent[1].client_id != sv.sent[0].client_id


async def test_retry_refused_when_fresh_price_beyond_slippage_then_rollback() -> None:
    lv, sv, long, short, runner, _ = setup()
    sv.next(Script(error=RateLimited("bitget", "429")))
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)

    def moved(leg: Leg, side: Side, qty: Decimal) -> float | None:
        return 60000.0 if side is Side.BUY else 60100.0  # bids fell 0.33%

    out = await enter_part(runner, plan(long, short), pos, moved)
    assert out.retries == []
    assert pos.is_flat
    assert lv.position_base == 0


async def test_partial_fill_is_topped_up() -> None:
    _lv, sv, long, short, runner, _ = setup()
    sv.next(Script(fill_fraction=D("0.4")), Script())
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    out = await enter_part(runner, plan(long, short), pos, price_ok)
    assert out.hedged
    assert sv.sent[1].qty_base == D("0.006")
    assert pos.long.qty_base == pos.short.qty_base == D("0.010")


async def test_execute_then_timeout_is_found_by_client_id_not_resent() -> None:
    _lv, sv, long, short, runner, _ = setup()
    sv.next(Script(unknown_after_execute=True))
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    out = await enter_part(runner, plan(long, short), pos, price_ok)
    assert out.hedged
    assert len(sv.sent) == 1
    assert pos.short.qty_base == D("0.010")


async def test_timeout_without_execution_counts_as_missing_and_is_retried() -> None:
    _lv, sv, long, short, runner, _ = setup()
    sv.next(Script(unknown_not_executed=True), Script())
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    out = await enter_part(runner, plan(long, short), pos, price_ok)
    assert out.hedged
    assert len(sv.sent) == 2
    assert pos.short.qty_base == D("0.010")


async def test_rollback_that_cannot_close_is_reported_naked() -> None:
    lv, sv, long, short, runner, _ = setup()
    sv.next(Script(error=InsufficientMargin("bitget", "balance", "40762")))
    lv.next(Script(), Script(error=ReduceOnlyRejected("bybit", "reduce-only", "110017")))
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    out = await enter_part(runner, plan(long, short), pos, price_ok)
    assert out.balance.naked
    assert out.balance.residual_base == D("0.010")


async def test_uneven_steps_end_within_one_coarse_step() -> None:
    lv, sv, long, short, runner, _ = setup(long_step="0.001", short_step="0.01")
    lv.next(Script(fill_fraction=D("0.7")))
    sv.next(Script(fill_fraction=D("0.5")), Script(error=InsufficientMargin("bitget", "m")))
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    out = await enter_part(runner, plan(long, short, qty="0.02"), pos, price_ok)
    assert out.hedged
    assert pos.long.qty_base == pos.short.qty_base == D("0.01")


async def test_exit_closes_both_legs_and_realizes_pnl() -> None:
    lv, sv, long, short, runner, _ = setup()
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    await enter_part(runner, plan(long, short), pos, price_ok)
    lv.price, sv.price = D("60150"), D("60150")
    exit_plan = ExitPlan(1, 42, 1, long, short, None, 60150.0, 60150.0, 0.1)
    out = await exit_part(runner, exit_plan, pos)
    assert out.hedged
    assert pos.is_flat
    assert lv.position_base == sv.position_base == 0
    fees = D("0.010") * (D("60000") + D("60300") + 2 * D("60150")) * D("0.0005")
    assert pos.realized_pnl_usdt == D("0.010") * (D("150") + D("150")) - fees


async def test_exit_with_one_leg_failing_closes_the_other_to_match() -> None:
    _lv, sv, long, short, runner, _ = setup()
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    await enter_part(runner, plan(long, short), pos, price_ok)
    sv.next(Script(error=RateLimited("bitget", "429")))
    out = await exit_part(runner, ExitPlan(1, 42, 1, long, short, None, 60e3, 60e3, 0.1), pos)
    assert out.hedged
    assert pos.is_flat
    assert sv.position_base == 0


async def test_both_legs_are_written_before_anything_is_awaited() -> None:
    lv, sv, long, short, runner, journal = setup()
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    the_plan = plan(long, short)
    sent = send_entry_legs(runner, the_plan)
    # no await yet: both requests are already on the wire and journaled
    assert len(lv.written) == len(sv.written) == 1
    assert [p for _, p, *_ in journal.sent] == [OrderPurpose.ENTRY, OrderPurpose.ENTRY]
    out = await enter_part(runner, the_plan, pos, price_ok, sent)
    assert out.hedged
    assert len(lv.sent) == len(sv.sent) == 1  # the pre-sent legs were not sent again


async def test_a_client_id_is_never_sent_twice() -> None:
    lv, _sv, long, short, runner, journal = setup()
    request = entry_request(plan(long, short), long, Side.BUY, D("0.010"), 0)
    first = await runner.send(42, OrderPurpose.ENTRY, long, request)
    again = await runner.send(42, OrderPurpose.ENTRY, long, request)
    assert first.filled_base == D("0.010")
    assert isinstance(again.error, DuplicateClientOrderId)
    assert not again.retryable
    assert [r.client_id for r in lv.sent] == [request.client_id]
    assert [e[0] for e in journal.events] == ["client_id_reuse_refused"]


async def test_ids_an_earlier_run_used_are_sent_under_fresh_attempt_numbers() -> None:
    lv, _sv, long, _short, runner, _ = setup()

    def ids(attempt: int) -> str:
        return client_order_id(42, "L", 0, attempt, role="v")

    # Before the restart, repair rounds of trade 42 sent attempts 0 and 1.
    runner.spent_before(42, [ids(0), ids(1)])
    lv.position_base = D("0.030")
    done, outcomes = await runner.reduce(42, OrderPurpose.REPAIR, long, Side.SELL, D("0.01"), ids)
    assert done == D("0.01")
    sent = outcomes[0].request.client_id
    assert sent not in (ids(0), ids(1))
    parts = parse_client_order_id(sent)
    assert parts is not None and (parts.trade_id, parts.leg, parts.role) == (42, "L", "v")
    assert parts.attempt >= FRESH_ATTEMPTS_FROM
    assert [r.client_id for r in lv.sent] == [sent]
    # the next replacement skips the one just used; another trade is not affected
    again = await runner.send(42, OrderPurpose.REPAIR, long, dataclasses.replace(
        outcomes[0].request, client_id=ids(1)))  # fmt: skip
    assert again.request.client_id not in (ids(0), ids(1), sent)
    other = client_order_id(7, "L", 0, 0, role="v")
    alone = await runner.send(7, OrderPurpose.REPAIR, long, dataclasses.replace(
        outcomes[0].request, client_id=other))  # fmt: skip
    assert alone.request.client_id == other


async def test_closing_orders_wait_for_our_own_budget_instead_of_spending_attempts() -> None:
    lv, _sv, long, _short, runner, _ = setup()
    lv.position_base = D("0.010")
    loop = asyncio.get_running_loop()
    lv.budget_free_at = loop.time() + 0.2  # our limiter refuses trading calls for 200 ms
    done, outcomes = await runner.reduce(
        42, OrderPurpose.ROLLBACK, long, Side.SELL, D("0.010"),
        lambda attempt: client_order_id(42, "L", 1, attempt, role="r"),
    )  # fmt: skip
    assert done == D("0.010") and lv.position_base == 0
    assert len(outcomes) == len(lv.sent) == 1  # one order, sent once the budget was there
    assert loop.time() >= lv.budget_free_at


async def test_an_unknown_outcome_is_never_balanced_as_if_unfilled() -> None:
    lv, sv, long, short, runner, _ = setup()
    sv.next(Script(unknown_after_execute=True))  # the short leg filled; its answer was lost
    sv.fetch_failures = 10_000  # and looking it up keeps failing for now
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    out = await enter_part(runner, plan(long, short), pos, price_ok)
    assert not out.hedged
    assert out.balance.unresolved
    assert [r.reduce_only for r in lv.sent] == [False]  # the long leg was NOT rolled back
    assert runner.unresolved(42) == 1
    sv.fetch_failures = 0  # lookups work again: the repair's next balancing learns the fill
    again = await balance_legs(runner, 42, 0, pos, long, short, OrderPurpose.REPAIR, "v", 1)
    assert again.hedged
    assert again.orders == []
    assert pos.long.qty_base == pos.short.qty_base == D("0.010")
    assert runner.unresolved(42) == 0
