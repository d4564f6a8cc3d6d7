"""A simulated venue on a shifted clock and a client holding a long: funding-history tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

from tests.contract.adapters import sim_connector_config
from tests.sim.shifted_clock import ShiftedClock

from arbcore.core.enums import OrderType, Side, Venue
from arbcore.core.models import OrderRequest
from arbcore.exchanges.base import ExchangeClient
from arbcore.exchanges.registry import create_client
from arbcore.sim.config import SimConfig
from arbcore.sim.testing import RunningSim, running_sim

SYMBOL = "BTCUSDT"
HOLD_BASE = Decimal("0.01")
SIM_CONFIG = SimConfig(coins=("BTC",), updates_per_s=5.0)


@asynccontextmanager
async def holding_long(
    venue: Venue, clock: ShiftedClock, client_id: str
) -> AsyncIterator[tuple[RunningSim, ExchangeClient]]:
    """The venue's simulator (its matching core on `clock`) and a started client that
    bought HOLD_BASE of SYMBOL with `client_id`, so funding settlements pay or charge it."""
    async with running_sim([venue], seed=5, config=SIM_CONFIG, clock=clock) as sim:
        client = create_client(sim_connector_config(sim.endpoints[venue]))
        await client.start()
        try:
            await client.load_instruments()
            order = OrderRequest(venue, SYMBOL, Side.BUY, HOLD_BASE, client_id,
                                 order_type=OrderType.MARKET)  # fmt: skip
            await client.submit_order(order)
            yield sim, client
        finally:
            await client.close()
