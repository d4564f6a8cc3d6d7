"""Real processes: SIGTERM to `arbcore run` with an open arbitrage, with and without closing."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.integration.processes import (
    ARBCORE,
    credentials_env,
    open_positions,
    sim_process,
    write_config,
)

PAIR = {
    "symbol": "BTCUSDT",
    "exchanges": ["bybit", "bitget"],
    "volume_base": "0.01",
    "entry_spread_pct": "0.15",
    "take_profit_pct": "5",  # never: the position stays open until the signal
    "stop_loss_pct": "50",
    "leverage": 5,
    "max_slippage_pct": "0.05",
}


def quiet_sim(path: Path) -> Path:
    """No divergence of its own: the test forces one over /__sim/episode."""
    path.write_text(
        yaml.safe_dump(
            {
                "coins": ["BTC"],
                "volatility_bps_per_sqrt_s": 0.2,
                "divergence": {
                    "noise_bps_per_sqrt_s": 0.1,
                    "half_life_s": 1.0,
                    "episode_every_s": 0.0,
                    "episode_size_bps": 0.0,
                },
            }
        ),
        encoding="utf-8",
    )
    return path


def force_episode(endpoint: dict[str, Any], size_bps: float, duration_s: float) -> None:
    body = json.dumps({"symbol": "BTCUSDT", "size_bps": size_bps, "duration_s": duration_s})
    request = urllib.request.Request(
        f"{endpoint['rest_url']}/__sim/episode",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read())["ok"]


def trades(db: Path) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db) as conn:
            return list(
                conn.execute(
                    "select id, state, close_reason from trades where state != 'pending'"
                    " order by id"
                )
            )
    except sqlite3.OperationalError:
        return []


def exit_orders(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        row = conn.execute("select count(*) from orders where purpose != 'entry'").fetchone()
    return int(row[0])


def open_then_terminate(tmp_path: Path, close_on_shutdown: bool) -> dict[str, Any]:
    """Run the engine, force one arbitrage open, SIGTERM; returns what the test checks."""
    with sim_process(config=quiet_sim(tmp_path / "sim.yaml")) as endpoints:
        config = write_config(
            tmp_path / "app.yaml",
            endpoints,
            pairs=[PAIR],
            engine={"close_on_shutdown": close_on_shutdown, "on_start": "close"},
            logging={"file_path": str(tmp_path / "arbcore.log"), "stderr": False},
            metrics={"enabled": False},
            api={"enabled": False},
        )
        db = tmp_path / "arbcore.db"
        engine = subprocess.Popen(
            [ARBCORE, "run", "--config", str(config)], env=credentials_env(endpoints)
        )
        try:
            deadline = time.monotonic() + 60
            while not any(state == "open" for _, state, _ in trades(db)):
                assert time.monotonic() < deadline, "no arbitrage opened"
                assert engine.poll() is None, f"engine exited early: {engine.returncode}"
                force_episode(endpoints["bitget"], 60.0, 1.5)  # bitget dear: short it
                time.sleep(1.0)
            held_before = open_positions(endpoints)
            engine.send_signal(signal.SIGTERM)
            code = engine.wait(timeout=60)
        finally:
            if engine.poll() is None:
                engine.kill()
                engine.wait(timeout=10)
        return {
            "code": code,
            "before": held_before,
            "after": open_positions(endpoints),
            "trades": trades(db),
            "exit_orders": exit_orders(db),
        }


def signed(held: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    return {venue: f"{p[0]['side']} {p[0]['qty']}" for venue, p in held.items() if len(p) == 1}


@pytest.mark.slow
def test_sigterm_with_close_on_shutdown_exits_zero_and_flat(tmp_path: Path) -> None:
    seen = open_then_terminate(tmp_path, close_on_shutdown=True)
    assert signed(seen["before"]) == {"bybit": "long 0.01", "bitget": "short 0.01"}
    assert seen["code"] == 0
    assert seen["after"] == {}
    assert [(state, reason) for _, state, reason in seen["trades"]] == [("closed", "shutdown")]
    assert seen["exit_orders"] >= 2


@pytest.mark.slow
def test_sigterm_without_close_on_shutdown_keeps_the_position_open(tmp_path: Path) -> None:
    seen = open_then_terminate(tmp_path, close_on_shutdown=False)
    assert seen["code"] == 0
    assert signed(seen["after"]) == {"bybit": "long 0.01", "bitget": "short 0.01"}
    assert seen["after"] == seen["before"]
    assert [(state, reason) for _, state, reason in seen["trades"]] == [("open", None)]
    assert seen["exit_orders"] == 0
