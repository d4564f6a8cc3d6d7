"""Entry of one part: both legs in parallel as IOC limits, second-leg retry, then hedge or flat."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal

from arbcore.core.client_ids import client_order_id
from arbcore.core.enums import OrderType, Side, TimeInForce
from arbcore.core.models import OrderRequest
from arbcore.core.quantize import floor_to_step, price_to_tick
from arbcore.strategy.balance import (
    ATTEMPTS_PER_ROUND,
    BalanceResult,
    balance_legs,
    record_fill,
    tolerance_base,
)
from arbcore.strategy.journal import OrderPurpose
from arbcore.strategy.legs import Leg, LegOutcome, LegRunner, retry_delay_s
from arbcore.strategy.position import ArbPosition

PriceNow = Callable[[Leg, Side, Decimal], float | None]
"""Fresh depth-walk price for (leg, side, qty), or None when the book is stale or short."""


@dataclass(frozen=True, slots=True)
class PartPlan:
    pair_id: int
    trade_id: int
    part: int
    long: Leg
    short: Leg
    qty_base: Decimal
    buy_px: float  # decision price on the long leg (depth walk of asks)
    sell_px: float  # decision price on the short leg (depth walk of bids)
    max_slippage_pct: float
    recv_ns: int | None = None  # receive time of the frame that triggered the decision
    round_no: int = 0  # a part tried again after a rollback gets fresh client ids

    def limit_price(self, leg: Leg, side: Side) -> Decimal:
        slip = self.max_slippage_pct / 100.0
        if side is Side.BUY:
            return price_to_tick(self.buy_px * (1.0 + slip), leg.instrument.tick_size, side)
        return price_to_tick(self.sell_px * (1.0 - slip), leg.instrument.tick_size, side)


@dataclass(slots=True)
class PartOutcome:
    long: LegOutcome
    short: LegOutcome
    balance: BalanceResult
    retries: list[LegOutcome] = field(default_factory=list)
    tick_to_order_ns: int | None = None

    @property
    def hedged(self) -> bool:
        return self.balance.hedged


def entry_request(plan: PartPlan, leg: Leg, side: Side, qty: Decimal, attempt: int) -> OrderRequest:
    tag = "L" if side is Side.BUY else "S"
    return OrderRequest(
        venue=leg.instrument.venue,
        symbol=leg.instrument.symbol,
        side=side,
        qty_base=qty,
        client_id=client_order_id(
            plan.trade_id, tag, plan.part, plan.round_no * ATTEMPTS_PER_ROUND + attempt, role="e"
        ),
        order_type=OrderType.LIMIT,
        tif=TimeInForce.IOC,
        price=plan.limit_price(leg, side),
    )


SentLegs = tuple[Awaitable[LegOutcome], Awaitable[LegOutcome]]


def send_entry_legs(runner: LegRunner, plan: PartPlan) -> SentLegs:
    """Write both legs' IOC orders now, back to back (hot path, no await in between)."""
    long_req = entry_request(plan, plan.long, Side.BUY, plan.qty_base, 0)
    short_req = entry_request(plan, plan.short, Side.SELL, plan.qty_base, 0)
    return (
        runner.send_now(plan.trade_id, OrderPurpose.ENTRY, plan.long, long_req, plan.recv_ns),
        runner.send_now(plan.trade_id, OrderPurpose.ENTRY, plan.short, short_req, plan.recv_ns),
    )


async def enter_part(
    runner: LegRunner,
    plan: PartPlan,
    position: ArbPosition,
    price_now: PriceNow,
    sent: SentLegs | None = None,
) -> PartOutcome:
    """Both legs at once (already written when `sent` is given); retry a missing second
    leg; end hedged or flat."""
    pending = sent if sent is not None else send_entry_legs(runner, plan)
    long_out, short_out = await asyncio.gather(*pending)
    tick_to_order = (
        None if plan.recv_ns is None else max(long_out.sent_ns, short_out.sent_ns) - plan.recv_ns
    )
    record_fill(position, plan.long, long_out)
    record_fill(position, plan.short, short_out)
    retries = await _retry_missing_leg(runner, plan, position, price_now, long_out, short_out)
    balance = await balance_legs(
        runner,
        plan.trade_id,
        plan.part,
        position,
        plan.long,
        plan.short,
        OrderPurpose.ROLLBACK,
        "r",
        round_no=plan.round_no,
    )
    return PartOutcome(long_out, short_out, balance, retries, tick_to_order)


async def _retry_missing_leg(
    runner: LegRunner,
    plan: PartPlan,
    position: ArbPosition,
    price_now: PriceNow,
    long_out: LegOutcome,
    short_out: LegOutcome,
) -> list[LegOutcome]:
    """SPEC §5.3: while one leg lags after a retryable failure, send the missing quantity
    again (at the original limit, so slippage stays bounded) if the fresh book allows it."""
    retries: list[LegOutcome] = []
    last = {Side.BUY: long_out, Side.SELL: short_out}
    tolerance = tolerance_base(plan.long, plan.short)
    for attempt, delay in enumerate(runner.retry_delays_s, start=1):
        imbalance = position.imbalance_base
        if abs(imbalance) < tolerance or position.long.qty_base == 0 == position.short.qty_base:
            break
        leg, side = (plan.short, Side.SELL) if imbalance > 0 else (plan.long, Side.BUY)
        if not last[side].retryable:
            break
        qty = floor_to_step(abs(imbalance), leg.instrument.base_step)
        if qty < leg.instrument.min_qty_base:
            break
        await asyncio.sleep(retry_delay_s(delay, last[side].error))
        fresh = price_now(leg, side, qty)
        limit = float(plan.limit_price(leg, side))
        if fresh is None or (fresh > limit if side is Side.BUY else fresh < limit):
            break
        outcome = await runner.send(
            plan.trade_id, OrderPurpose.ENTRY, leg, entry_request(plan, leg, side, qty, attempt)
        )
        record_fill(position, leg, outcome)
        retries.append(outcome)
        last[side] = outcome
    return retries
