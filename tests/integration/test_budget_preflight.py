"""SPEC §5.2: no entry unless both venues' trading rate-limit budgets have room."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.integration.harness import btc_pair, sim_and_engine, wait_for

from arbcore.core.enums import Venue
from arbcore.exchanges.transport.ratelimit import TRADE, VenueRateLimiter


async def test_exhausted_budget_on_one_venue_blocks_both_legs(tmp_path: Path) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()]) as (sim, engine):
        limiter = getattr(engine.clients[Venue.BITGET], "limiter")  # noqa: B009
        assert isinstance(limiter, VenueRateLimiter)
        limiter.on_rate_limited(TRADE, 4.0)  # as after a 429 with a 4 s pause
        bybit_orders_before = len(sim.exchange(Venue.BYBIT).orders)
        sim.model.start_episode(Venue.BITGET, "BTCUSDT", 60.0, 2.0)
        await wait_for(
            lambda: "rate-limit budget exhausted on bitget" in engine.stats.entries_blocked
        )
        await asyncio.sleep(0.5)
        assert len(sim.exchange(Venue.BYBIT).orders) == bybit_orders_before
        assert engine.stats.orders_sent == 0
        # once the pause is over, the same divergence is traded
        sim.model.start_episode(Venue.BITGET, "BTCUSDT", 60.0, 6.0)
        await wait_for(lambda: engine.stats.cycles_opened == 1, timeout_s=15)
