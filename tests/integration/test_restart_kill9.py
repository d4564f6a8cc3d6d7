"""Real processes: kill -9 the engine mid-trade, start it again, nothing naked, nothing lost."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from tests.integration.processes import (
    ARBCORE,
    arbcore,
    credentials_env,
    open_positions,
    sim_process,
    write_config,
)

PAIRS = [
    {
        "symbol": symbol,
        "exchanges": ["bybit", "bitget"],
        "volume_base": volume,
        "entry_spread_pct": "0.15",
        "take_profit_pct": "5",  # never: the test wants positions to stay open
        "stop_loss_pct": "50",
        "leverage": 5,
        "max_slippage_pct": "0.2",
    }
    for symbol, volume in (("BTCUSDT", "0.01"), ("ETHUSDT", "0.2"))
]


def sim_config(path: Path) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "coins": ["BTC", "ETH"],
                "divergence": {
                    "episode_every_s": 2.0,
                    "episode_size_bps": 70.0,
                    "episode_duration_s": 6.0,
                    "half_life_s": 2.0,
                },
            }
        ),
        encoding="utf-8",
    )
    return path


def db_rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql))


def wait_rows(db: Path, sql: str, timeout_s: float = 60.0) -> list[tuple[object, ...]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if db.exists():
            try:
                rows = db_rows(db, sql)
            except sqlite3.OperationalError:
                rows = []
            if rows:
                return rows
        time.sleep(0.2)
    raise AssertionError(f"no rows for {sql!r} within {timeout_s}s")


@pytest.mark.slow
def test_kill9_with_open_positions_then_restart_closes_and_reconciles(tmp_path: Path) -> None:
    with sim_process(config=sim_config(tmp_path / "sim.yaml")) as endpoints:
        config = write_config(
            tmp_path / "app.yaml",
            endpoints,
            pairs=PAIRS,
            engine={"on_start": "close", "max_concurrent_arbitrages": 2},
            logging={"file_path": str(tmp_path / "arbcore.log"), "stderr": False},
            metrics={"enabled": False},
            api={"enabled": False},
        )
        env = credentials_env(endpoints)
        db = tmp_path / "arbcore.db"
        engine = subprocess.Popen([ARBCORE, "run", "--config", str(config)], env=env)
        try:
            wait_rows(db, "select id from trades where state = 'open'")
            os.kill(engine.pid, signal.SIGKILL)
            engine.wait(timeout=10)
        finally:
            if engine.poll() is None:
                engine.kill()
        held = open_positions(endpoints)
        assert held, "the kill left positions on the venues (as a crash would)"

        # restart with no Pairs enabled: the restart alone must clean up
        for pair in PAIRS:
            pair["enabled"] = False
        config = write_config(
            tmp_path / "app.yaml", endpoints, pairs=PAIRS, engine={"on_start": "close"},
            logging={"file_path": str(tmp_path / "arbcore.log"), "stderr": False},
            metrics={"enabled": False}, api={"enabled": False},
        )  # fmt: skip
        restarted = subprocess.Popen([ARBCORE, "run", "--config", str(config)], env=env)
        try:
            wait_rows(
                db, "select id from events where kind = 'reconciled' and id > 0 limit 1 offset 1"
            )
            restarted.send_signal(signal.SIGTERM)
            assert restarted.wait(timeout=60) == 0
        finally:
            if restarted.poll() is None:
                restarted.kill()
        assert open_positions(endpoints) == {}
        still_open = db_rows(
            db, "select id, state from trades where state in ('opening','open','closing','error')"
        )
        assert still_open == []
        closed = db_rows(
            db, "select id, realized_pnl_usdt from trades where close_reason = 'reconciled'"
        )
        assert closed
        assert all(pnl is not None for _, pnl in closed)
        flatten = db_rows(
            db, "select count(*) from orders where purpose = 'flatten' and filled_base != '0'"
        )
        assert int(str(flatten[0][0])) >= 2
        assert arbcore("pairs", "list", "--config", str(config)).returncode == 0
