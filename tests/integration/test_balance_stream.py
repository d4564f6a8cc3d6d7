"""SPEC §7 balances: the first part decides on the exchange's latest reading, pushed by the
private stream, with no request on the hot path."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from tests.integration.harness import btc_pair, sim_and_engine, wait_for

from arbcore.core.enums import Venue
from arbcore.risk.balances import VenueMargin
from arbcore.sim.testing import RunningSim

SYMBOL = "BTCUSDT"
BYBIT, BITGET = Venue.BYBIT, Venue.BITGET
LEFT = Decimal(5)  # USDT left on the account: far below one part's margin


async def move_out_and_back(sim: RunningSim, margin: VenueMargin, venue: Venue) -> None:
    """The operator moves funds out of the futures account at the exchange, then back."""
    fetched = margin.fetched
    exchange, account = sim.exchange(venue), sim.account_id(venue)
    free = exchange.wallet(account).available_usdt
    exchange.transfer(account, LEFT - free)
    await wait_for(lambda: margin.available_usdt == LEFT)
    assert margin.pushed >= 1 and margin.fetched == fetched
    exchange.transfer(account, free - LEFT)
    await wait_for(lambda: margin.available_usdt == free)


async def test_pushed_balance_blocks_and_then_allows_the_first_part(tmp_path: Path) -> None:
    # No periodic refresh during the test: whatever the engine learns, it learns by push.
    async with sim_and_engine(tmp_path, [btc_pair()], balance_refresh_s=3600) as (sim, engine):
        for venue in (BYBIT, BITGET):
            await move_out_and_back(sim, engine.balances.margin(venue), venue)
        exchange, account = sim.exchange(BITGET), sim.account_id(BITGET)
        free = exchange.wallet(account).available_usdt
        exchange.transfer(account, LEFT - free)
        margin = engine.balances.margin(BITGET)
        await wait_for(lambda: margin.available_usdt == LEFT)
        sim.model.start_episode(BITGET, SYMBOL, 60.0, 30.0)  # bitget dear: short it
        await wait_for(
            lambda: any(
                r.startswith("insufficient margin on bitget") for r in engine.stats.entries_blocked
            )
        )
        assert engine.stats.orders_sent == 0
        fetched = margin.fetched
        exchange.transfer(account, free - LEFT)  # funds are back: the push alone unblocks
        await wait_for(lambda: engine.stats.cycles_opened == 1)
        assert margin.fetched == fetched


async def test_a_private_reconnect_rereads_the_balance_pushes_missed_meanwhile(
    tmp_path: Path,
) -> None:
    async with sim_and_engine(tmp_path, [btc_pair()], balance_refresh_s=3600) as (sim, engine):
        margin = engine.balances.margin(BYBIT)
        fetched = margin.fetched
        exchange, account = sim.exchange(BYBIT), sim.account_id(BYBIT)
        free = exchange.wallet(account).available_usdt
        sim.faults(BYBIT).refuse_connections(1.0)  # every socket dropped, none accepted
        await asyncio.sleep(0.2)
        exchange.transfer(account, LEFT - free)  # its push finds no socket: lost
        await asyncio.sleep(0.3)
        assert margin.available_usdt == free
        await wait_for(lambda: margin.available_usdt == LEFT)  # read again once reconnected
        assert margin.fetched > fetched
