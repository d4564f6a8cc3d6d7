"""Exit of one part: both legs closed in parallel with reduce-only IOC orders, then balanced."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from arbcore.core.client_ids import client_order_id
from arbcore.core.enums import OrderType, Side, TimeInForce
from arbcore.core.models import OrderRequest
from arbcore.core.quantize import price_to_tick
from arbcore.strategy.balance import balance_legs, record_fill
from arbcore.strategy.entry import PartOutcome, SentLegs
from arbcore.strategy.journal import OrderPurpose
from arbcore.strategy.legs import Leg, LegRunner
from arbcore.strategy.position import ArbPosition


@dataclass(frozen=True, slots=True)
class ExitPlan:
    pair_id: int
    trade_id: int
    part: int
    long: Leg
    short: Leg
    qty_base: Decimal | None  # None: close everything that is open
    sell_px: float  # depth walk of the long venue's bids
    buy_px: float  # depth walk of the short venue's asks
    max_slippage_pct: float
    attempt: int = 0  # a part retried after a no-fill gets a new attempt (new client ids)


def _close_request(
    plan: ExitPlan, leg: Leg, side: Side, qty: Decimal, ref_px: float, tag: str
) -> OrderRequest:
    slip = plan.max_slippage_pct / 100.0
    raw = ref_px * (1.0 + slip) if side is Side.BUY else ref_px * (1.0 - slip)
    return OrderRequest(
        venue=leg.instrument.venue,
        symbol=leg.instrument.symbol,
        side=side,
        qty_base=qty,
        client_id=client_order_id(plan.trade_id, tag, plan.part, plan.attempt, role="x"),
        order_type=OrderType.LIMIT,
        tif=TimeInForce.IOC,
        price=price_to_tick(raw, leg.instrument.tick_size, side),
        reduce_only=True,
    )


def send_exit_legs(runner: LegRunner, plan: ExitPlan, position: ArbPosition) -> SentLegs:
    """Write both legs' reduce-only closing orders now, back to back (no await between)."""
    if plan.qty_base is None:
        long_qty, short_qty = position.long.qty_base, position.short.qty_base
    else:
        long_qty = short_qty = min(plan.qty_base, position.long.qty_base, position.short.qty_base)
    long_req = _close_request(plan, plan.long, Side.SELL, long_qty, plan.sell_px, "L")
    short_req = _close_request(plan, plan.short, Side.BUY, short_qty, plan.buy_px, "S")
    return (
        runner.send_now(plan.trade_id, OrderPurpose.EXIT, plan.long, long_req),
        runner.send_now(plan.trade_id, OrderPurpose.EXIT, plan.short, short_req),
    )


async def exit_part(
    runner: LegRunner, plan: ExitPlan, position: ArbPosition, sent: SentLegs | None = None
) -> PartOutcome:
    """Close `qty_base` (or all) of both legs at once (already written when `sent` is
    given); if one leg closed more, close the other to match with reduce-only market
    orders, so the position stays hedged or becomes flat."""
    pending = sent if sent is not None else send_exit_legs(runner, plan, position)
    long_out, short_out = await asyncio.gather(*pending)
    record_fill(position, plan.long, long_out)
    record_fill(position, plan.short, short_out)
    balance = await balance_legs(
        runner,
        plan.trade_id,
        plan.part,
        position,
        plan.long,
        plan.short,
        OrderPurpose.BALANCE,
        "b",
        round_no=plan.attempt,
    )
    return PartOutcome(long_out, short_out, balance)
