"""Contract: fetch_orders finds every accepted order since a time, as fetch_order reports it."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from tests.contract.adapters import VenueAdapter

from arbcore.core.client_ids import client_order_id, parse_client_order_id
from arbcore.core.enums import OrderStatus, OrderType, Side, TimeInForce
from arbcore.core.errors import OrderRejected
from arbcore.core.models import OrderRequest, OrderResult
from arbcore.exchanges.base import ExchangeClient
from arbcore.exchanges.registry import create_client
from arbcore.sim.events import RejectReason
from arbcore.sim.testing import RunningSim

SLIPPAGE = Decimal("0.003")
PAGE_LIMIT = 2  # small pages, so every list is walked over several requests
DAY_MS = 24 * 3600 * 1000


@pytest.fixture
async def paging_client(sim: RunningSim, adapter: VenueAdapter) -> AsyncIterator[ExchangeClient]:
    """A client whose order-list requests ask for PAGE_LIMIT rows per page."""
    config = adapter.build_config(sim.endpoints[adapter.venue])
    config = dataclasses.replace(
        config,
        extra={**config.extra, "orders_page_limit": str(PAGE_LIMIT)},
        max_trading_wait_ms=5000.0,  # a dozen orders in a row: queue for the trade budget
    )
    venue_client = create_client(config)
    await venue_client.start()
    try:
        yield venue_client
    finally:
        await venue_client.close()


def _request(
    adapter: VenueAdapter,
    side: Side,
    price: Decimal,
    client_id: str,
    *,
    tif: TimeInForce = TimeInForce.IOC,
    reduce_only: bool = False,
) -> OrderRequest:
    return OrderRequest(
        venue=adapter.venue,
        symbol=adapter.symbol,
        side=side,
        qty_base=adapter.qty_base,
        client_id=client_id,
        order_type=OrderType.LIMIT,
        tif=tif,
        price=price,
        reduce_only=reduce_only,
    )


class Orders:
    """Places orders with parseable arbcore ids (trade 4242, one part per order)."""

    def __init__(self, client: ExchangeClient, adapter: VenueAdapter, mid: Decimal) -> None:
        self.client, self.adapter, self.mid = client, adapter, mid
        self.part = 0
        self.accepted: list[str] = []
        self.refused: list[str] = []

    def next_id(self, role: str = "e") -> str:
        self.part += 1
        return client_order_id(4242, "L" if self.part % 2 else "S", self.part, 0, role=role)

    async def ioc(self, side: Side, *, reduce_only: bool = False) -> OrderResult:
        factor = 1 + SLIPPAGE if side is Side.BUY else 1 - SLIPPAGE
        req = _request(
            self.adapter, side, self.mid * factor, self.next_id(), reduce_only=reduce_only
        )
        result = await self.client.submit_order(req)
        self.accepted.append(req.client_id)
        return result

    async def resting(self, tick: Decimal) -> OrderResult:
        far = (self.mid * Decimal("0.9")).quantize(tick)
        req = _request(self.adapter, Side.BUY, far, self.next_id(), tif=TimeInForce.GTC)
        result = await self.client.submit_order(req)
        self.accepted.append(req.client_id)
        return result

    async def crossing_gtc(self) -> OrderResult:
        """A GTC buy through the ask: with a partial-fill fault it rests partly filled."""
        price = self.mid * (1 + SLIPPAGE)
        req = _request(self.adapter, Side.BUY, price, self.next_id(), tif=TimeInForce.GTC)
        result = await self.client.submit_order(req)
        self.accepted.append(req.client_id)
        return result

    async def refused_order(self, side: Side, *, reduce_only: bool = False) -> None:
        client_id = self.next_id("x")
        with pytest.raises(OrderRejected):
            await self.client.submit_order(
                _request(self.adapter, side, self.mid, client_id, reduce_only=reduce_only)
            )
        self.refused.append(client_id)


async def _place_mix(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> tuple[Orders, str]:
    """An order before `since`, then filled, partly filled, refused and resting orders.
    Returns the orders and the client id of the one placed before `since`."""
    inst = next(i for i in await client.load_instruments() if i.symbol == adapter.symbol)
    orders = Orders(client, adapter, sim.exchange(adapter.venue).mark_price(inst.venue_symbol))
    await orders.refused_order(Side.SELL, reduce_only=True)  # nothing to reduce yet
    old = await orders.ioc(Side.BUY)
    orders.accepted.clear()
    await asyncio.sleep(0.01)
    return orders, old.client_id


async def test_fetch_orders_returns_every_accepted_order_like_fetch_order(
    paging_client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    client = paging_client
    sim.pause_market()  # a partly filled resting order must stay so while it is compared
    orders, old_id = await _place_mix(client, adapter, sim)
    since_ms = int(time.time() * 1000)
    await asyncio.sleep(0.01)
    inst = next(i for i in await client.load_instruments() if i.symbol == adapter.symbol)
    filled = [await orders.ioc(Side.BUY) for _ in range(3)]
    filled.append(await orders.ioc(Side.SELL, reduce_only=True))
    sim.faults(adapter.venue).partial_fill_next(1, 0.5)
    partial = await orders.ioc(Side.BUY)
    sim.faults(adapter.venue).reject_next_orders(1, RejectReason.INSUFFICIENT_MARGIN)
    await orders.refused_order(Side.BUY)
    resting = [await orders.resting(inst.tick_size) for _ in range(3)]
    sim.faults(adapter.venue).partial_fill_next(1, 0.5)
    partial_resting = await orders.crossing_gtc()
    cancelled = await orders.resting(inst.tick_size)
    await client.cancel_order(adapter.symbol, cancelled.client_id)

    found = await client.fetch_orders(adapter.symbol, since_ms)

    by_id = {r.client_id: r for r in found}
    assert len(by_id) == len(found), "each order once"
    assert set(by_id) == set(orders.accepted)
    assert old_id not in by_id
    for refused in orders.refused:
        assert refused not in by_id or (
            by_id[refused].status is OrderStatus.REJECTED and by_id[refused].filled_base == 0
        )
    for client_id, result in by_id.items():
        parts = parse_client_order_id(client_id)
        assert parts is not None and parts.trade_id == 4242
        assert result.symbol == adapter.symbol and result.venue is adapter.venue
        single = await client.fetch_order(adapter.symbol, client_id)
        assert (result.exchange_order_id, result.status) == (
            single.exchange_order_id,
            single.status,
        )
        assert (result.side, result.reduce_only) == (single.side, single.reduce_only)
        assert (result.requested_base, result.filled_base) == (
            single.requested_base,
            single.filled_base,
        )
        assert (result.avg_price, result.fee_usdt) == (single.avg_price, single.fee_usdt)
    for order in filled:
        got = by_id[order.client_id]
        assert got.status is OrderStatus.FILLED and got.filled_base == adapter.qty_base
        assert got.avg_price is not None and got.fee_usdt > 0
    assert by_id[filled[-1].client_id].reduce_only
    assert by_id[filled[-1].client_id].side is Side.SELL
    got_partial = by_id[partial.client_id]
    assert 0 < got_partial.filled_base < adapter.qty_base and got_partial.fee_usdt > 0
    for order in resting:
        got = by_id[order.client_id]
        assert got.status is OrderStatus.NEW and got.filled_base == 0 and got.fee_usdt == 0
    assert by_id[cancelled.client_id].status is OrderStatus.CANCELLED
    got = by_id[partial_resting.client_id]  # open: its fee may have to come from the fills
    assert got.status is OrderStatus.PARTIALLY_FILLED
    assert 0 < got.filled_base < adapter.qty_base and got.fee_usdt > 0


async def test_fetch_orders_far_back_walks_history_windows(
    paging_client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    """A `since` months back spans more than one history window (Bybit 7 days, Bitget 90
    days); the simulators refuse wider spans, so this passes only if the client splits."""
    orders, old_id = await _place_mix(paging_client, adapter, sim)
    found = await paging_client.fetch_orders(adapter.symbol, int(time.time() * 1000) - 200 * DAY_MS)
    assert [r.client_id for r in found] == [old_id]
    assert found[0].status is OrderStatus.FILLED and found[0].fee_usdt > 0
    assert orders.refused[0] not in {r.client_id for r in found}


async def test_fetch_orders_of_a_quiet_symbol_is_empty(
    client: ExchangeClient, adapter: VenueAdapter
) -> None:
    assert await client.fetch_orders(adapter.symbol, int(time.time() * 1000) - DAY_MS) == []
