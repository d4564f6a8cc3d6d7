"""Bybit streams against the simulator: a stalled socket is detected and replaced; the
private stream logs in again after a drop and keeps reporting orders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from arbcore.core.enums import ConnectionState, Env, OrderType, Side, TimeInForce, Venue
from arbcore.core.models import OrderRequest, OrderResult
from arbcore.exchanges.base import ConnectorConfig, Credentials
from arbcore.exchanges.bybit.client import BybitClient
from arbcore.market.book import L2Book
from arbcore.sim.testing import RunningSim, running_sim


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    async with running_sim([Venue.BYBIT], seed=3) as running:
        yield running


@pytest.fixture
async def client(sim: RunningSim) -> AsyncIterator[BybitClient]:
    ep = sim.endpoints[Venue.BYBIT]
    config = ConnectorConfig(
        venue=Venue.BYBIT,
        env=Env.SIM,
        credentials=Credentials(ep.api_key, ep.secret),
        rest_url=ep.rest_url,
        ws_public_url=ep.ws_public_url,
        ws_private_url=ep.ws_private_url,
        extra={"ws_idle_timeout_s": "1.0"},
    )
    bybit = BybitClient(config)
    await bybit.start()
    try:
        yield bybit
    finally:
        await bybit.close()


async def _until(event: asyncio.Event, cond: Callable[[], bool], timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not cond():
            event.clear()
            await event.wait()


async def test_stalled_socket_is_replaced_and_book_recovers(
    client: BybitClient, sim: RunningSim
) -> None:
    changed = asyncio.Event()
    states: list[tuple[bool, str]] = []
    updates: list[int] = []

    def on_book(book: L2Book, recv_ns: int) -> None:
        updates.append(book.seq)
        changed.set()

    def on_state(venue: Venue, symbol: str, stale: bool, reason: str) -> None:
        states.append((stale, reason))
        changed.set()

    await client.subscribe_books(["BTCUSDT"], on_book, on_state)
    await _until(changed, lambda: len(updates) >= 3)
    sim.faults(Venue.BYBIT).stall_ws(2.0)
    await _until(changed, lambda: any(stale for stale, _ in states))
    assert any("no frame" in reason for stale, reason in states if stale)
    count = len(updates)
    await _until(changed, lambda: len(updates) >= count + 3 and not states[-1][0])
    book = client.book("BTCUSDT")
    assert book is not None and not book.stale and not book.is_crossed()
    stream = client.book_stream
    assert stream is not None and stream.ws.reconnects >= 1


async def test_private_stream_logs_in_again_after_drop(
    client: BybitClient, sim: RunningSim
) -> None:
    changed = asyncio.Event()
    orders: list[OrderResult] = []
    connections: list[tuple[str, ConnectionState]] = []

    def on_order(order: OrderResult) -> None:
        orders.append(order)
        changed.set()

    def on_connection(venue: Venue, name: str, state: ConnectionState) -> None:
        connections.append((name, state))
        changed.set()

    client.connection_listener(on_connection)
    await client.subscribe_private(on_order)
    sim.faults(Venue.BYBIT).drop_ws()
    await _until(changed, lambda: ("private", ConnectionState.DISCONNECTED) in connections)
    await _until(changed, lambda: connections[-1] == ("private", ConnectionState.CONNECTED))
    mark = sim.exchange(Venue.BYBIT).mark_price("BTCUSDT")
    await client.submit_order(
        OrderRequest(
            venue=Venue.BYBIT,
            symbol="BTCUSDT",
            side=Side.BUY,
            qty_base=Decimal("0.01"),
            client_id="reauth1",
            order_type=OrderType.LIMIT,
            tif=TimeInForce.IOC,
            price=mark * Decimal("1.003"),
        )
    )

    def final_seen() -> bool:
        return any(o.client_id == "reauth1" and o.status.is_final for o in orders)

    await _until(changed, final_seen)
    final = next(o for o in orders if o.client_id == "reauth1" and o.status.is_final)
    assert final.filled_base == Decimal("0.01")
