"""Contract: the private stream reports orders, fills and positions without polling."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.contract.adapters import VenueAdapter, venue_symbol

from arbcore.core.enums import OrderStatus, OrderType, Side, TimeInForce
from arbcore.core.models import Fill, OrderRequest, OrderResult, Position
from arbcore.exchanges.base import ExchangeClient
from arbcore.sim.testing import RunningSim


async def test_private_stream_reports_order_fills_and_position(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    orders: list[OrderResult] = []
    fills: list[Fill] = []
    positions: list[Position] = []
    changed = asyncio.Event()

    def on_order(order: OrderResult) -> None:
        orders.append(order)
        changed.set()

    def on_fill(fill: Fill) -> None:
        fills.append(fill)
        changed.set()

    def on_position(position: Position) -> None:
        positions.append(position)
        changed.set()

    await client.subscribe_private(on_order, on_fill, on_position)
    mid = sim.exchange(adapter.venue).mark_price(await venue_symbol(client, adapter))
    result = await client.submit_order(
        OrderRequest(
            venue=adapter.venue,
            symbol=adapter.symbol,
            side=Side.BUY,
            qty_base=adapter.qty_base,
            client_id="cp1buy",
            order_type=OrderType.LIMIT,
            tif=TimeInForce.IOC,
            price=mid * Decimal("1.003"),
        )
    )
    assert result.status is OrderStatus.FILLED

    def done() -> bool:
        final = [o for o in orders if o.client_id == "cp1buy" and o.status.is_final]
        filled = sum((f.qty_base for f in fills if f.client_id == "cp1buy"), Decimal(0))
        return bool(final) and filled == adapter.qty_base and bool(positions)

    async with asyncio.timeout(10):
        while not done():
            changed.clear()
            await changed.wait()
    final = next(o for o in orders if o.client_id == "cp1buy" and o.status.is_final)
    assert final.filled_base == adapter.qty_base
    assert all(f.side is Side.BUY and f.price > 0 for f in fills)
    assert positions[-1].symbol == adapter.symbol
    assert positions[-1].qty_base == adapter.qty_base
