"""Leverage and margin mode set only when the cache disagrees; 'not modified' is success."""

from __future__ import annotations

import contextlib
import logging
from decimal import Decimal

from arbcore.core.enums import MarginMode, Venue
from arbcore.core.errors import LeverageNotModified
from arbcore.exchanges.base import Trading
from arbcore.persistence.leverage_repo import LeverageCache

log = logging.getLogger(__name__)


async def ensure_leverage(
    cache: LeverageCache,
    client: Trading,
    symbol: str,
    leverage: int,
    margin_mode: MarginMode,
) -> bool:
    """Make the exchange hold (leverage, margin_mode) for symbol. Returns True when calls were
    made, False when the cache already agreed. Errors other than 'not modified' propagate
    and invalidate the cache entry."""
    venue: Venue = client.venue
    cached = await cache.get(venue, symbol)
    if (
        cached is not None
        and cached.leverage == Decimal(leverage)
        and (cached.margin_mode is margin_mode)
    ):
        return False
    try:
        if cached is None or cached.margin_mode is not margin_mode:
            await client.set_margin_mode(symbol, margin_mode)
        with contextlib.suppress(LeverageNotModified):
            await client.set_leverage(symbol, leverage, margin_mode)
    except Exception:
        await cache.invalidate(venue, symbol)
        raise
    await cache.set(venue, symbol, Decimal(leverage), margin_mode)
    log.info("leverage %sx %s set on %s %s", leverage, margin_mode, venue, symbol)
    return True
