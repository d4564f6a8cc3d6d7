"""Ends every part hedged (legs equal within one step) or flat, with reduce-only orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from arbcore.core.client_ids import client_order_id
from arbcore.core.enums import Side
from arbcore.core.quantize import floor_to_step
from arbcore.strategy.journal import OrderPurpose
from arbcore.strategy.legs import Leg, LegOutcome, LegRunner
from arbcore.strategy.position import ArbPosition

ZERO = Decimal(0)
ATTEMPTS_PER_ROUND = 8  # reduce-only tries of one balancing round (1 + retries, with room)


@dataclass(slots=True)
class BalanceResult:
    hedged: bool  # |long - short| below one step of the coarser venue
    orders: list[LegOutcome] = field(default_factory=list)
    residual_base: Decimal = ZERO  # long - short left after balancing
    unresolved: bool = False  # orders of unknown outcome kept it from balancing

    @property
    def naked(self) -> bool:
        return not self.hedged


def tolerance_base(long: Leg, short: Leg) -> Decimal:
    return max(long.instrument.base_step, short.instrument.base_step)


async def balance_legs(
    runner: LegRunner,
    trade_id: int,
    part: int,
    position: ArbPosition,
    long: Leg,
    short: Leg,
    purpose: OrderPurpose,
    role: str,
    round_no: int = 0,
) -> BalanceResult:
    """Reduce the larger leg down to the smaller one, to within one of its steps.

    Every fill is applied to `position`. Hedged afterwards means the legs differ by less
    than one step of the coarser venue (SPEC §5.4)."""
    result = BalanceResult(hedged=False)
    for leg, outcome in await runner.resolve_unknown_orders(trade_id):
        record_fill(position, leg, outcome)
    if runner.unresolved(trade_id):
        # Acting now could double a fill we cannot see yet: stay unhedged (the Pair goes
        # to ERROR and its repair loop asks again) rather than guess.
        result.residual_base = position.imbalance_base
        result.unresolved = True
        return result
    imbalance = position.imbalance_base
    if imbalance > 0:
        leg, side, tag = long, Side.SELL, "L"
    else:
        leg, side, tag = short, Side.BUY, "S"
    qty = floor_to_step(abs(imbalance), leg.instrument.base_step)
    if qty == 0:  # equal, or less than one step of the larger leg apart
        result.hedged = True
        result.residual_base = imbalance
        return result
    _, outcomes = await runner.reduce(
        trade_id,
        purpose,
        leg,
        side,
        qty,
        lambda attempt: client_order_id(
            trade_id, tag, part, round_no * ATTEMPTS_PER_ROUND + attempt, role=role
        ),
    )
    for outcome in outcomes:
        record_fill(position, leg, outcome)
    result.orders = outcomes
    result.residual_base = position.imbalance_base
    result.hedged = abs(result.residual_base) < tolerance_base(long, short)
    return result


def record_fill(position: ArbPosition, leg: Leg, outcome: LegOutcome) -> None:
    res = outcome.result
    if res is None or res.filled_base <= 0 or res.avg_price is None:
        return
    position.apply_fill(leg.venue, res.side, res.filled_base, res.avg_price, res.fee_usdt)
