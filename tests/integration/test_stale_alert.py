"""SPEC §6: a book stale for longer than stale_alert_after_s is alerted once, recovery noted."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.integration.harness import btc_pair, sim_and_engine

from arbcore.core.enums import Venue
from arbcore.persistence.db import open_database
from arbcore.persistence.repositories import Repositories


async def test_stalled_stream_raises_one_alert_then_recovers(tmp_path: Path) -> None:
    async with sim_and_engine(
        tmp_path, [btc_pair()], stale_after_ms=400, stale_alert_after_s=1.0
    ) as (sim, engine):
        db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'arbcore.db'}")
        repos = Repositories(db)
        sim.faults(Venue.BITGET).stall_ws(3.0)
        kinds: list[str] = []
        for _ in range(160):
            await asyncio.sleep(0.1)
            await engine.recorder.flush()
            events = await repos.events.find()
            kinds = [e.kind for e in events if e.kind.startswith(("book_stale", "stale_"))]
            if "stale_recovered" in kinds:
                break
        alerts = await repos.events.find(kind="stale_alert")
        await db.dispose()
    assert kinds.index("book_stale") < kinds.index("stale_alert") < kinds.index("stale_recovered")
    assert len(alerts) == 1
    assert alerts[0].payload["venue"] == "bitget"
    assert alerts[0].payload["symbol"] == "BTCUSDT"
