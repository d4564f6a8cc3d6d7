"""In-process simulator for tests: `async with running_sim([...]) as sim:` on loopback ports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from arbcore.core.clock import SYSTEM_CLOCK, Clock
from arbcore.core.enums import Venue
from arbcore.sim.cluster import SimCluster, VenueEndpoints
from arbcore.sim.config import SimConfig
from arbcore.sim.faults import FaultController
from arbcore.sim.market import MarketModel
from arbcore.sim.matching import SimExchange

__all__ = ["RunningSim", "SimConfig", "VenueEndpoints", "running_sim"]


class RunningSim:
    """Handle on a running simulator: endpoints, matching cores, faults, price model."""

    def __init__(self, cluster: SimCluster) -> None:
        self.cluster = cluster
        self.endpoints: dict[Venue, VenueEndpoints] = {
            venue: cluster.endpoints(venue) for venue in cluster.servers
        }

    def exchange(self, venue: Venue) -> SimExchange:
        """The venue's matching core: books, accounts, orders, fills, positions, ledger."""
        return self.cluster.exchanges[venue]

    def faults(self, venue: Venue) -> FaultController:
        return self.cluster.faults[venue]

    @property
    def model(self) -> MarketModel:
        return self.cluster.model

    def pause_market(self, paused: bool = True) -> None:
        """Freeze (or resume) the price model; fills and faults keep working."""
        self.cluster.paused = paused

    def account_id(self, venue: Venue) -> str:
        """The demo account (its id is the demo API key)."""
        return self.endpoints[venue].api_key

    def refresh_endpoints(self) -> None:
        """Re-read ports (after a refuse_connections fault rebinds)."""
        self.endpoints = {venue: self.cluster.endpoints(venue) for venue in self.cluster.servers}


@asynccontextmanager
async def running_sim(
    venues: Sequence[Venue],
    seed: int = 1,
    config: SimConfig | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> AsyncIterator[RunningSim]:
    """Start `venues` on free 127.0.0.1 ports (config.venues/seed are overridden by the
    arguments), yield a RunningSim, stop everything on exit."""
    base = config if config is not None else SimConfig()
    cfg = base.model_copy(update={"venues": tuple(venues), "seed": seed})
    cluster = SimCluster(cfg, clock)
    await cluster.start()
    try:
        yield RunningSim(cluster)
    finally:
        await cluster.stop()
