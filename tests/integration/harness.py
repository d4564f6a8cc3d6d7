"""Runs the real engine against an in-process simulator for integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from arbcore.core.enums import TradeState, Venue
from arbcore.core.records import TradeRecord
from arbcore.engine.engine import Engine
from arbcore.market.book import L2Book
from arbcore.persistence.db import open_database
from arbcore.persistence.repositories import Repositories
from arbcore.settings import Settings
from arbcore.sim.config import DivergenceConfig, SimConfig
from arbcore.sim.events import LedgerKind, SimOrder
from arbcore.sim.testing import RunningSim, running_sim
from arbcore.strategy.spread import net_entry_spread

VENUES = (Venue.BYBIT, Venue.BITGET)


def quiet_sim_config() -> SimConfig:
    """No spontaneous divergence and little noise: tests force episodes themselves."""
    return SimConfig(
        coins=("BTC", "ETH"),
        volatility_bps_per_sqrt_s=0.2,
        divergence=DivergenceConfig(
            noise_bps_per_sqrt_s=0.1, half_life_s=1.0, episode_every_s=0.0, episode_size_bps=0.0
        ),
        updates_per_s=20.0,
    )


def engine_settings(
    sim: RunningSim, db: Path, pairs: list[dict[str, Any]], **engine: Any
) -> Settings:
    exchanges: dict[str, Any] = {}
    for venue, ep in sim.endpoints.items():
        exchanges[venue.value] = {
            "enabled": True,
            "env": "sim",
            "rest_url": ep.rest_url,
            "ws_public_url": ep.ws_public_url,
            "ws_private_url": ep.ws_private_url,
            "api_key": ep.api_key,
            "secret": ep.secret,
            "passphrase": ep.passphrase,
        }
    return Settings(
        database={"url": f"sqlite+aiosqlite:///{db}"},
        exchanges=exchanges,
        engine={"position_monitor_interval_ms": 200, **engine},
        pairs=pairs,
        logging={"file_path": None, "stderr": False},
        metrics={"enabled": False},
        api={"enabled": False},
    )


def btc_pair(**overrides: Any) -> dict[str, Any]:
    pair: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "exchanges": ["bybit", "bitget"],
        "volume_base": "0.01",
        "entry_spread_pct": "0.15",
        "take_profit_pct": "0.05",
        "stop_loss_pct": "2",
        "leverage": 5,
        "max_slippage_pct": "0.05",
    }
    pair.update(overrides)
    return pair


@asynccontextmanager
async def engine_on(
    sim: RunningSim, db: Path, pairs: Sequence[dict[str, Any]], **engine: Any
) -> AsyncIterator[Engine]:
    """A real engine against an already running simulator; stopped (gracefully) on exit."""
    eng = Engine(engine_settings(sim, db, list(pairs), **engine))
    stop = asyncio.Event()
    task = asyncio.create_task(eng.run(stop))
    ready = asyncio.create_task(eng.ready.wait())
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()
    try:
        yield eng
    finally:
        stop.set()
        await task


@asynccontextmanager
async def sim_and_engine(
    tmp_path: Path,
    pairs: Sequence[dict[str, Any]],
    before_start: Callable[[RunningSim], None] | None = None,
    **engine: Any,
) -> AsyncIterator[tuple[RunningSim, Engine]]:
    async with running_sim(VENUES, seed=3, config=quiet_sim_config()) as sim:
        if before_start is not None:
            before_start(sim)
        async with engine_on(sim, tmp_path / "arbcore.db", pairs, **engine) as eng:
            yield sim, eng


def base_position(sim: RunningSim, venue: Venue, symbol: str) -> Decimal:
    """The venue's signed position in base coin (ground truth of the simulator)."""
    exchange = sim.exchange(venue)
    size = exchange.instrument(symbol).contract_size
    views = exchange.positions(sim.account_id(venue), symbol)
    return sum((v.signed_qty * size for v in views), Decimal(0))


def flat(sim: RunningSim, symbol: str) -> bool:
    return all(base_position(sim, v, symbol) == 0 for v in VENUES)


def venue_orders(sim: RunningSim, venue: Venue, symbol: str) -> list[SimOrder]:
    """Every order the venue's matching core holds for the demo account, oldest first."""
    orders = sim.exchange(venue).account_orders(sim.account_id(venue), symbol)
    return list(reversed(orders))


def ledger_change(sim: RunningSim) -> Decimal:
    """Fees, realized pnl and funding booked on every venue (deposits left out)."""
    total = Decimal(0)
    for venue in VENUES:
        for entry in sim.exchange(venue).ledger(sim.account_id(venue)):
            if entry.kind is not LedgerKind.DEPOSIT:
                total += entry.amount_usdt
    return total


def repos_for(tmp_path: Path) -> Repositories:
    return Repositories(open_database(f"sqlite+aiosqlite:///{tmp_path / 'arbcore.db'}"))


async def used_trades(repos: Repositories) -> list[TradeRecord]:
    """Trades that left PENDING (reserved rows never used are left out), oldest first."""
    trades = await repos.trades.find(newest_first=False)
    return [t for t in trades if t.state is not TradeState.PENDING]


async def wait_for(predicate: Callable[[], bool], timeout_s: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def seen_net_spread_pct(
    engine: Engine, long: Venue, short: Venue, symbol: str, qty_base: float
) -> float | None:
    """Net entry spread (%) on the engine's own books, stale or not (None when too thin)."""
    long_book, short_book = engine.books.get(long, symbol), engine.books.get(short, symbol)
    if long_book is None or short_book is None:
        return None
    buy, sell = long_book.buy_px(qty_base), short_book.sell_px(qty_base)
    if buy is None or sell is None:
        return None
    fee_long = float(engine.settings.exchanges[long].taker_fee)
    fee_short = float(engine.settings.exchanges[short].taker_fee)
    return net_entry_spread(buy, sell, fee_long, fee_short) * 100.0


class UpdateCounter:
    """Counts the book updates the engine delivers for a symbol (after its Pairs saw them)."""

    def __init__(self, engine: Engine, symbol: str) -> None:
        self.by_venue: dict[Venue, int] = {}
        engine.books.listen(symbol, self._on_book)

    def _on_book(self, book: L2Book, recv_ns: int) -> None:
        self.by_venue[book.venue] = self.by_venue.get(book.venue, 0) + 1

    def total(self) -> int:
        return sum(self.by_venue.values())

    async def wait_more(
        self, n: int, timeout_s: float = 20.0, venues: Sequence[Venue] = VENUES
    ) -> None:
        """Until every one of `venues` delivered at least `n` more updates than now."""
        start = dict(self.by_venue)
        await wait_for(
            lambda: all(self.by_venue.get(v, 0) - start.get(v, 0) >= n for v in venues),
            timeout_s,
        )
