"""Contract: orders, positions, balance, settings and error mapping, for every venue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.contract.adapters import VenueAdapter, venue_symbol

from arbcore.core.enums import MarginMode, OrderStatus, OrderType, Side, TimeInForce
from arbcore.core.errors import (
    DuplicateClientOrderId,
    ExchangeError,
    InsufficientMargin,
    InvalidOrder,
    OrderNotFound,
    OrderOutcomeUnknown,
    OrderRejected,
    RateLimited,
    ReduceOnlyRejected,
)
from arbcore.core.models import OrderRequest, OrderResult
from arbcore.exchanges.base import ExchangeClient
from arbcore.sim.events import RejectReason
from arbcore.sim.testing import RunningSim

SLIPPAGE = Decimal("0.003")


async def _mid(client: ExchangeClient, sim: RunningSim, adapter: VenueAdapter) -> Decimal:
    return sim.exchange(adapter.venue).mark_price(await venue_symbol(client, adapter))


def _ioc(
    adapter: VenueAdapter,
    side: Side,
    price: Decimal,
    client_id: str,
    *,
    qty: Decimal | None = None,
    reduce_only: bool = False,
) -> OrderRequest:
    return OrderRequest(
        venue=adapter.venue,
        symbol=adapter.symbol,
        side=side,
        qty_base=qty if qty is not None else adapter.qty_base,
        client_id=client_id,
        order_type=OrderType.LIMIT,
        tif=TimeInForce.IOC,
        price=price * (1 + SLIPPAGE) if side is Side.BUY else price * (1 - SLIPPAGE),
        reduce_only=reduce_only,
    )


async def _net_position(client: ExchangeClient, adapter: VenueAdapter) -> Decimal:
    return sum((p.qty_base for p in await client.fetch_positions([adapter.symbol])), Decimal(0))


async def test_ioc_fills_and_position_follows(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    mid = await _mid(client, sim, adapter)
    result = await client.submit_order(_ioc(adapter, Side.BUY, mid, "ct1buy"))
    assert result.status is OrderStatus.FILLED
    assert result.filled_base == adapter.qty_base and result.client_id == "ct1buy"
    assert result.avg_price is not None
    assert abs(result.avg_price - mid) / mid < SLIPPAGE
    assert result.fee_usdt > 0
    assert await _net_position(client, adapter) == adapter.qty_base
    closing = await client.submit_order(_ioc(adapter, Side.SELL, mid, "ct1close", reduce_only=True))
    assert closing.status is OrderStatus.FILLED and closing.reduce_only
    assert await _net_position(client, adapter) == 0


async def test_short_position_is_negative(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    mid = await _mid(client, sim, adapter)
    await client.submit_order(_ioc(adapter, Side.SELL, mid, "ct2short"))
    positions = await client.fetch_positions([adapter.symbol])
    assert [p.qty_base for p in positions] == [-adapter.qty_base]
    assert positions[0].entry_price > 0


async def test_partial_fill_reports_the_filled_part(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    mid = await _mid(client, sim, adapter)
    sim.faults(adapter.venue).partial_fill_next(1, 0.5)
    result = await client.submit_order(_ioc(adapter, Side.BUY, mid, "ct3part"))
    assert result.status.is_final
    assert 0 < result.filled_base < adapter.qty_base
    assert result.unfilled_base == adapter.qty_base - result.filled_base
    assert await _net_position(client, adapter) == result.filled_base


REJECTS: list[tuple[RejectReason, type[ExchangeError]]] = [
    (RejectReason.INSUFFICIENT_MARGIN, InsufficientMargin),
    (RejectReason.REDUCE_ONLY_WOULD_INCREASE, ReduceOnlyRejected),
    (RejectReason.DUPLICATE_CLIENT_ID, DuplicateClientOrderId),
    (RejectReason.BELOW_MIN_NOTIONAL, InvalidOrder),
    (RejectReason.QTY_OFF_STEP, InvalidOrder),
    (RejectReason.NO_LIQUIDITY, OrderRejected),
]


@pytest.mark.parametrize(("reason", "error"), REJECTS, ids=[r.value for r, _ in REJECTS])
async def test_reject_maps_to_its_error_type(
    client: ExchangeClient,
    adapter: VenueAdapter,
    sim: RunningSim,
    reason: RejectReason,
    error: type[ExchangeError],
) -> None:
    mid = await _mid(client, sim, adapter)
    sim.faults(adapter.venue).reject_next_orders(1, reason)
    with pytest.raises(error) as info:
        await client.submit_order(_ioc(adapter, Side.BUY, mid, "ct4rej"))
    assert isinstance(info.value, OrderRejected)
    assert not isinstance(info.value, OrderOutcomeUnknown)
    assert await _net_position(client, adapter) == 0


async def test_real_rejects_without_faults(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    mid = await _mid(client, sim, adapter)
    with pytest.raises(ReduceOnlyRejected):
        await client.submit_order(_ioc(adapter, Side.SELL, mid, "ct5ro", reduce_only=True))
    await client.submit_order(_ioc(adapter, Side.BUY, mid, "ct5dup"))
    with pytest.raises(DuplicateClientOrderId):
        await client.submit_order(_ioc(adapter, Side.BUY, mid, "ct5dup"))
    with pytest.raises(InsufficientMargin):
        await client.submit_order(_ioc(adapter, Side.BUY, mid, "ct5big", qty=Decimal(500)))


async def test_execute_then_timeout_is_unknown_then_found_by_client_id(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    mid = await _mid(client, sim, adapter)
    sim.faults(adapter.venue).execute_then_timeout_next(1)
    with pytest.raises(OrderOutcomeUnknown) as info:
        await client.submit_order(_ioc(adapter, Side.BUY, mid, "ct6lost"))
    assert info.value.client_id == "ct6lost"
    found = await client.fetch_order(adapter.symbol, "ct6lost")
    assert found.status is OrderStatus.FILLED and found.filled_base == adapter.qty_base
    assert await _net_position(client, adapter) == adapter.qty_base


async def test_cancel_resting_order_and_unknown_id(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    mid = await _mid(client, sim, adapter)
    inst = next(i for i in await client.load_instruments() if i.symbol == adapter.symbol)
    far = (mid * Decimal("0.9")).quantize(inst.tick_size)
    resting = OrderRequest(
        venue=adapter.venue,
        symbol=adapter.symbol,
        side=Side.BUY,
        qty_base=adapter.qty_base,
        client_id="ct7rest",
        order_type=OrderType.LIMIT,
        tif=TimeInForce.GTC,
        price=far,
    )
    placed = await client.submit_order(resting)
    assert placed.status is OrderStatus.NEW and placed.filled_base == 0
    cancelled = await client.cancel_order(adapter.symbol, "ct7rest")
    assert cancelled.status is OrderStatus.CANCELLED and cancelled.filled_base == 0
    again: OrderResult = await client.cancel_order(adapter.symbol, "ct7rest")
    assert again.status is OrderStatus.CANCELLED
    with pytest.raises(OrderNotFound):
        await client.cancel_order(adapter.symbol, "ct7never")
    with pytest.raises(OrderNotFound):
        await client.fetch_order(adapter.symbol, "ct7never")


async def test_balance_reports_equity_and_available(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    before = await client.fetch_balance()
    assert before.asset == "USDT" and before.equity > 0 and before.available <= before.equity
    mid = await _mid(client, sim, adapter)
    await client.submit_order(_ioc(adapter, Side.BUY, mid, "ct8bal"))
    after = await client.fetch_balance()
    assert after.available < before.available


async def test_leverage_is_idempotent(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    await client.set_leverage(adapter.symbol, 7, MarginMode.ISOLATED)
    await client.set_leverage(adapter.symbol, 7, MarginMode.ISOLATED)  # "not modified"
    account = sim.exchange(adapter.venue).account(sim.account_id(adapter.venue))
    assert account.leverage[await venue_symbol(client, adapter)] == 7


async def test_margin_mode_switches(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    account = sim.exchange(adapter.venue).account(sim.account_id(adapter.venue))
    symbol = await venue_symbol(client, adapter)
    await client.set_margin_mode(adapter.symbol, MarginMode.ISOLATED)
    assert account.margin_mode[symbol] is MarginMode.ISOLATED
    await client.set_margin_mode(adapter.symbol, MarginMode.CROSS)
    assert account.margin_mode[symbol] is MarginMode.CROSS
    await client.set_margin_mode(adapter.symbol, MarginMode.CROSS)


async def test_rate_limit_answer_is_rate_limited(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    sim.faults(adapter.venue).rate_limit_next(1)
    with pytest.raises(RateLimited):
        await client.fetch_balance()
    balance = await client.fetch_balance()  # waits out the pause, then succeeds
    assert balance.equity > 0
    mid = await _mid(client, sim, adapter)
    sim.faults(adapter.venue).rate_limit_next(1)
    with pytest.raises(RateLimited):
        await client.submit_order(_ioc(adapter, Side.BUY, mid, "ct9rl"))
    assert await _net_position(client, adapter) == 0
