"""Runs the real engine against an in-process simulator for integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from arbcore.core.enums import Venue
from arbcore.engine.engine import Engine
from arbcore.settings import Settings
from arbcore.sim.config import DivergenceConfig, SimConfig
from arbcore.sim.testing import RunningSim, running_sim

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
async def sim_and_engine(
    tmp_path: Path,
    pairs: Sequence[dict[str, Any]],
    before_start: Callable[[RunningSim], None] | None = None,
    **engine: Any,
) -> AsyncIterator[tuple[RunningSim, Engine]]:
    async with running_sim(VENUES, seed=3, config=quiet_sim_config()) as sim:
        if before_start is not None:
            before_start(sim)
        eng = Engine(engine_settings(sim, tmp_path / "arbcore.db", list(pairs), **engine))
        stop = asyncio.Event()
        task = asyncio.create_task(eng.run(stop))
        ready = asyncio.create_task(eng.ready.wait())
        await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            ready.cancel()
            task.result()
        try:
            yield sim, eng
        finally:
            stop.set()
            await task


async def wait_for(predicate: Callable[[], bool], timeout_s: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)
