"""Contract: submit_order_now writes before it is awaited and ends exactly as submit_order."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.contract.adapters import VenueAdapter, venue_symbol
from tests.contract.test_contract_trading import REJECTS, _ioc, _mid, _net_position

from arbcore.core.enums import OrderStatus, Side
from arbcore.core.errors import ExchangeError, OrderOutcomeUnknown, OrderRejected, RateLimited
from arbcore.exchanges.base import ExchangeClient
from arbcore.exchanges.registry import create_client
from arbcore.sim.events import RejectReason
from arbcore.sim.testing import RunningSim


async def _arrives(sim: RunningSim, adapter: VenueAdapter, client_id: str) -> None:
    """Wait (without touching the order's awaitable) until the simulator holds the order."""
    account = sim.exchange(adapter.venue).account(sim.account_id(adapter.venue))
    for _ in range(500):
        if client_id in account.client_ids:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{client_id} never reached the {adapter.venue} simulator")


async def test_written_before_awaited_and_fills_like_submit_order(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    mid = await _mid(client, sim, adapter)
    slow = await client.submit_order(_ioc(adapter, Side.BUY, mid, "csn1slow"))
    pending = client.submit_order_now(_ioc(adapter, Side.BUY, mid, "csn1fast"))
    await _arrives(sim, adapter, "csn1fast")
    fast = await pending
    assert fast.client_id == "csn1fast" and fast.exchange_order_id
    for result in (slow, fast):
        assert result.status is OrderStatus.FILLED and result.filled_base == adapter.qty_base
        assert result.avg_price is not None and result.fee_usdt > 0
    assert (fast.side, fast.requested_base, fast.reduce_only) == (
        slow.side,
        slow.requested_base,
        slow.reduce_only,
    )
    assert await _net_position(client, adapter) == 2 * adapter.qty_base
    closing = await client.submit_order_now(
        _ioc(adapter, Side.SELL, mid, "csn1close", qty=2 * adapter.qty_base, reduce_only=True)
    )
    assert closing.status is OrderStatus.FILLED and closing.reduce_only
    assert await _net_position(client, adapter) == 0


@pytest.mark.parametrize(("reason", "error"), REJECTS, ids=[r.value for r, _ in REJECTS])
async def test_rejects_map_like_submit_order(
    client: ExchangeClient,
    adapter: VenueAdapter,
    sim: RunningSim,
    reason: RejectReason,
    error: type[ExchangeError],
) -> None:
    mid = await _mid(client, sim, adapter)
    sim.faults(adapter.venue).reject_next_orders(1, reason)
    pending = client.submit_order_now(_ioc(adapter, Side.BUY, mid, "csn2rej"))
    with pytest.raises(error) as info:
        await pending
    assert isinstance(info.value, OrderRejected)
    assert not isinstance(info.value, OrderOutcomeUnknown)
    assert await _net_position(client, adapter) == 0


async def test_execute_then_timeout_is_unknown_then_found_by_client_id(
    client: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    mid = await _mid(client, sim, adapter)
    sim.faults(adapter.venue).execute_then_timeout_next(1)
    pending = client.submit_order_now(_ioc(adapter, Side.BUY, mid, "csn3lost"))
    with pytest.raises(OrderOutcomeUnknown) as info:
        await pending
    assert info.value.client_id == "csn3lost"
    found = await client.fetch_order(adapter.symbol, "csn3lost")
    assert found.status is OrderStatus.FILLED and found.filled_base == adapter.qty_base
    assert await _net_position(client, adapter) == adapter.qty_base
    after = await client.submit_order_now(_ioc(adapter, Side.BUY, mid, "csn3next"))
    assert after.status is OrderStatus.FILLED  # the broken connection was replaced


@pytest.fixture
async def laneless(sim: RunningSim, adapter: VenueAdapter) -> AsyncIterator[ExchangeClient]:
    """A client with no fast-lane connection and no instruments loaded yet."""
    config = adapter.build_config(sim.endpoints[adapter.venue])
    config = dataclasses.replace(config, extra={**config.extra, "fastlane_connections": "0"})
    venue_client = create_client(config)
    await venue_client.start()
    try:
        yield venue_client
    finally:
        await venue_client.close()


async def test_without_a_ready_connection_the_write_happens_on_await(
    client: ExchangeClient, laneless: ExchangeClient, adapter: VenueAdapter, sim: RunningSim
) -> None:
    mid = sim.exchange(adapter.venue).mark_price(await venue_symbol(client, adapter))
    pending = laneless.submit_order_now(_ioc(adapter, Side.BUY, mid, "csn4late"))
    await asyncio.sleep(0.2)
    account = sim.exchange(adapter.venue).account(sim.account_id(adapter.venue))
    assert "csn4late" not in account.client_ids  # nothing was sent before the await
    result = await pending
    assert result.status is OrderStatus.FILLED and result.filled_base == adapter.qty_base


async def test_no_trade_token_is_rate_limited_on_await_and_nothing_sent(
    sim: RunningSim, adapter: VenueAdapter, tmp_path: Path
) -> None:
    trade = {"max_requests": 2, "per_seconds": 100}
    limits = {adapter.venue.value: {"rate_limits": {"trade": trade}}}
    path = tmp_path / "exchanges.json"
    path.write_text(json.dumps(limits))
    config = adapter.build_config(sim.endpoints[adapter.venue])
    config = dataclasses.replace(config, rate_limits_path=str(path), max_trading_wait_ms=0.0)
    tight = create_client(config)  # one trade token, then one per 100 s
    await tight.start()
    try:
        mid = sim.exchange(adapter.venue).mark_price(await venue_symbol(tight, adapter))
        first = await tight.submit_order_now(_ioc(adapter, Side.BUY, mid, "csn5one"))
        assert first.status is OrderStatus.FILLED
        pending = tight.submit_order_now(_ioc(adapter, Side.BUY, mid, "csn5two"))  # no raise here
        with pytest.raises(RateLimited):
            await pending
    finally:
        await tight.close()
    account = sim.exchange(adapter.venue).account(sim.account_id(adapter.venue))
    assert "csn5two" not in account.client_ids
