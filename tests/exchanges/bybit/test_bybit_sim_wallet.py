"""Bybit under UTA ISOLATED_MARGIN against the simulator: the wallet totals come back "" (as on
the real venue) and the client still reads the free margin the sim account really has."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from tests.sim.bybit_client import private_get
from tests.sim.shapes import assert_same_shape, load_fixture

from arbcore.core.enums import Env, MarginMode, OrderType, Side, TimeInForce, Venue
from arbcore.core.models import Balance, OrderRequest, OrderResult
from arbcore.exchanges.base import ConnectorConfig, Credentials
from arbcore.exchanges.bybit.client import BybitClient
from arbcore.sim.testing import RunningSim, running_sim

B = Venue.BYBIT
STEP = Decimal("0.00000001")  # the sim sends USDT amounts with 8 decimals


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    async with running_sim([B], seed=5) as running:
        yield running


@pytest.fixture
async def client(sim: RunningSim) -> AsyncIterator[BybitClient]:
    ep = sim.endpoints[B]
    config = ConnectorConfig(
        venue=B,
        env=Env.SIM,
        credentials=Credentials(ep.api_key, ep.secret),
        rest_url=ep.rest_url,
        ws_public_url=ep.ws_public_url,
        ws_private_url=ep.ws_private_url,
    )
    bybit = BybitClient(config)
    await bybit.start()
    try:
        yield bybit
    finally:
        await bybit.close()


async def _raw_wallet(sim: RunningSim) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        reply = await private_get(http, sim.endpoints[B], "/v5/account/wallet-balance",
                                  accountType="UNIFIED")  # fmt: skip
    account: dict[str, Any] = reply["result"]["list"][0]
    return account


def _sim_free(sim: RunningSim) -> tuple[Decimal, Decimal]:
    wallet = sim.exchange(B).wallet(sim.account_id(B))
    return wallet.equity_usdt.quantize(STEP), wallet.available_usdt.quantize(STEP)


async def test_isolated_uta_balance_is_the_free_margin_the_sim_has(
    client: BybitClient, sim: RunningSim
) -> None:
    pushed: list[Balance] = []
    seen = asyncio.Event()

    def on_balance(balance: Balance) -> None:
        pushed.append(balance)
        seen.set()

    def on_order(order: OrderResult) -> None:
        pass

    await client.subscribe_private(on_order, on_balance=on_balance)
    await client.set_margin_mode("BTCUSDT", MarginMode.ISOLATED)
    raw = await _raw_wallet(sim)
    # The venue's documented isolated-margin shape: no account-wide figures.
    assert raw["accountType"] == "UNIFIED"
    assert raw["totalAvailableBalance"] == raw["totalMarginBalance"] == raw["totalEquity"] == ""
    assert raw["coin"][0]["availableToWithdraw"] == ""
    recorded = load_fixture("bybit", "rest", "wallet_balance__ccxt_issue24878_unified_isolated")
    assert_same_shape(raw, recorded["result"]["list"][0], strict=False)

    flat = await client.fetch_balance()
    assert flat.available > 0 and (flat.equity, flat.available) == _sim_free(sim)

    sim.pause_market()  # the mark must not move between the push and the comparison
    mark = sim.exchange(B).mark_price("BTCUSDT")
    order = OrderRequest(
        venue=B, symbol="BTCUSDT", side=Side.BUY, qty_base=Decimal("0.5"), client_id="isowal1",
        order_type=OrderType.LIMIT, tif=TimeInForce.IOC, price=mark * Decimal("1.003"),
    )  # fmt: skip
    result = await client.submit_order(order)
    assert result.filled_base == Decimal("0.5")
    # The fill's wallet push carries the free margin left next to the isolated position.
    async with asyncio.timeout(10):
        while not pushed:
            seen.clear()
            await seen.wait()
    _, free_after_fill = _sim_free(sim)
    assert pushed[-1].available == free_after_fill
    assert 0 < free_after_fill < flat.available
    resting = OrderRequest(
        venue=B, symbol="BTCUSDT", side=Side.BUY, qty_base=Decimal("0.2"), client_id="isowal2",
        order_type=OrderType.LIMIT, tif=TimeInForce.GTC, price=mark * Decimal("0.9"),
    )  # fmt: skip
    await client.submit_order(resting)

    raw = await _raw_wallet(sim)
    coin = raw["coin"][0]
    wallet = sim.exchange(B).wallet(sim.account_id(B))
    assert Decimal(coin["totalPositionIM"]) == wallet.position_margin_usdt.quantize(STEP) > 0
    assert Decimal(coin["totalOrderIM"]) == wallet.order_margin_usdt.quantize(STEP) > 0
    assert Decimal(coin["walletBalance"]) == wallet.balance_usdt.quantize(STEP)
    assert raw["totalAvailableBalance"] == ""

    equity, free = _sim_free(sim)
    after = await client.fetch_balance()
    assert 0 < after.available < free_after_fill
    assert (after.equity, after.available) == (equity, free)
    assert all(b.available > 0 for b in pushed)


async def test_regular_margin_still_reports_account_totals(
    client: BybitClient, sim: RunningSim
) -> None:
    await client.set_margin_mode("BTCUSDT", MarginMode.CROSS)
    raw = await _raw_wallet(sim)
    assert raw["totalAvailableBalance"] != "" and raw["totalEquity"] != ""
    balance = await client.fetch_balance()
    assert (balance.equity, balance.available) == _sim_free(sim)
