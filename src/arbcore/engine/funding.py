"""Funding a trade's legs were paid or charged while it was open (SPEC §2), from the venues."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from arbcore.core.errors import ExchangeError
from arbcore.strategy.journal import Journal
from arbcore.strategy.legs import Leg


async def funding_since(
    legs: Iterable[Leg],
    symbol: str,
    since_ms: int,
    journal: Journal,
    pair_id: int | None,
    trade_id: int | None,
) -> Decimal:
    """The sum of the legs' funding payments on `symbol` from `since_ms` on. A venue that
    cannot say is journaled (`funding_unknown`) and counts nothing: the pnl is recorded
    without it rather than not at all."""
    total = Decimal(0)
    for leg in legs:
        try:
            payments = await leg.client.fetch_funding_payments(symbol, since_ms)
        except ExchangeError as exc:
            journal.event(
                "funding_unknown", pair_id, trade_id, venue=leg.venue.value, error=str(exc)
            )
            continue
        total += sum((p.amount_usdt for p in payments if p.ts_ms >= since_ms), Decimal(0))
    return total
