"""Fixtures of the contract suite: one simulator and one started client per venue and test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from tests.contract.adapters import ADAPTERS, VenueAdapter

from arbcore.core.enums import ConnectionState, Venue
from arbcore.exchanges.base import ExchangeClient
from arbcore.exchanges.registry import create_client
from arbcore.market.book import L2Book
from arbcore.sim.testing import RunningSim, running_sim


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Known gaps of a venue run as strict xfail, so a fix shows up as XPASS (a failure)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or "adapter" not in callspec.params:
            continue
        adapter = ADAPTERS[callspec.params["adapter"]]
        function = getattr(item, "originalname", item.name)
        reason = adapter.known_gaps.get(function)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


@pytest.fixture(params=sorted(ADAPTERS), ids=str)
def adapter(request: pytest.FixtureRequest) -> VenueAdapter:
    return ADAPTERS[request.param]


@pytest.fixture
async def sim(adapter: VenueAdapter) -> AsyncIterator[RunningSim]:
    async with running_sim([adapter.venue], seed=7) as running:
        yield running


@pytest.fixture
async def client(sim: RunningSim, adapter: VenueAdapter) -> AsyncIterator[ExchangeClient]:
    config = adapter.build_config(sim.endpoints[adapter.venue])
    venue_client = create_client(config)
    await venue_client.start()
    try:
        yield venue_client
    finally:
        await venue_client.close()


@dataclass
class Watcher:
    """Records book updates, book-state changes and connection states; waits on them."""

    updates: int = 0
    states: list[tuple[bool, str]] = field(default_factory=list)
    connections: list[ConnectionState] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def on_book(self, book: L2Book, recv_ns: int) -> None:
        self.updates += 1
        self._changed.set()

    def on_state(self, venue: Venue, symbol: str, stale: bool, reason: str) -> None:
        self.states.append((stale, reason))
        self._changed.set()

    def on_connection(self, venue: Venue, name: str, state: ConnectionState) -> None:
        self.connections.append(state)
        self._changed.set()

    async def until(self, cond: Callable[[], bool], timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not cond():
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
def watcher() -> Watcher:
    return Watcher()
