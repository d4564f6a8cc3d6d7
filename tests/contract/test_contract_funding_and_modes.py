"""Contract: funding rate and payments, hedge-mode round trip, position mode idempotence."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.contract.adapters import VenueAdapter, venue_symbol

from arbcore.core.enums import OrderType, PositionMode, PositionSide, Side, TimeInForce
from arbcore.core.models import OrderRequest
from arbcore.exchanges.base import ExchangeClient
from arbcore.sim.testing import RunningSim


def _order(
    adapter: VenueAdapter, side: Side, price: Decimal, client_id: str, **kw: object
) -> OrderRequest:
    slip = Decimal("1.003") if side is Side.BUY else Decimal("0.997")
    return OrderRequest(
        venue=adapter.venue,
        symbol=adapter.symbol,
        side=side,
        qty_base=adapter.qty_base,
        client_id=client_id,
        order_type=OrderType.LIMIT,
        tif=TimeInForce.IOC,
        price=price * slip,
        **kw,  # type: ignore[arg-type]
    )


async def test_funding_rate_and_payment_signs(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    rate = await client.fetch_funding_rate(adapter.symbol)
    assert rate.symbol == adapter.symbol and rate.interval_h > 0
    assert rate.next_funding_ms > 0 and abs(rate.rate) < Decimal("0.01")
    exchange = sim.exchange(adapter.venue)
    symbol = await venue_symbol(client, adapter)
    since_ms = sim.cluster.clock.now_ms() - 1
    await client.submit_order(_order(adapter, Side.BUY, exchange.mark_price(symbol), "cf1buy"))
    exchange.settle_funding(symbol, rate=Decimal("0.001"))  # longs pay
    payments = await client.fetch_funding_payments(adapter.symbol, since_ms)
    assert len(payments) == 1
    expected = -(adapter.qty_base * exchange.mark_price(symbol) * Decimal("0.001"))
    assert payments[0].amount_usdt < 0
    assert abs(payments[0].amount_usdt - expected) <= abs(expected) * Decimal("0.01")


async def test_hedge_mode_round_trip(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    if not client.capabilities.hedge_mode:
        pytest.skip("venue has no hedge mode")
    await client.set_position_mode(PositionMode.HEDGE)
    await client.set_position_mode(PositionMode.HEDGE)  # already set: success
    mark = sim.exchange(adapter.venue).mark_price(await venue_symbol(client, adapter))
    await client.submit_order(_order(adapter, Side.BUY, mark, "ch1long"))
    await client.submit_order(_order(adapter, Side.SELL, mark, "ch1short"))
    positions = await client.fetch_positions([adapter.symbol])
    by_side = {p.side: p.qty_base for p in positions}
    assert by_side == {PositionSide.LONG: adapter.qty_base, PositionSide.SHORT: -adapter.qty_base}
    await client.submit_order(
        _order(
            adapter,
            Side.SELL,
            mark,
            "ch1closelong",
            reduce_only=True,
            position_side=PositionSide.LONG,
        )
    )
    await client.submit_order(_order(adapter, Side.BUY, mark, "ch1closeshort", reduce_only=True))
    assert await client.fetch_positions([adapter.symbol]) == []
    await client.set_position_mode(PositionMode.ONE_WAY)
