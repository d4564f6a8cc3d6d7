"""Real processes for tests: a standalone simulator and arbcore commands against it."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from arbcore.sim.process import (
    ARBCORE,
    Endpoints,
    credentials_env,
    exchanges_section,
    start_sim_process,
)

__all__ = ["ARBCORE", "credentials_env", "open_positions", "sim_process", "write_config"]


@contextmanager
def sim_process(
    venues: str = "bybit,bitget", seed: int = 1, config: Path | None = None
) -> Iterator[Endpoints]:
    """`arbcore sim` in its own process; yields each venue's endpoints line."""
    proc, endpoints = start_sim_process(venues, seed, config)
    try:
        yield endpoints
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def write_config(path: Path, endpoints: Endpoints, **sections: Any) -> Path:
    """An app.yaml pointing at the simulator (no secrets: those go in the environment)."""
    data = {
        "database": {"url": f"sqlite+aiosqlite:///{path.parent / 'arbcore.db'}"},
        "exchanges": exchanges_section(endpoints),
    }
    data.update(sections)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def arbcore(
    *args: str, env: dict[str, str] | None = None, timeout_s: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ARBCORE, *args], capture_output=True, text=True, timeout=timeout_s, env=env, check=False
    )


def sim_state(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Ground truth of the demo account from the simulator's control API."""
    url = f"{endpoint['rest_url']}/__sim/state?account={endpoint['api_key']}"
    with urllib.request.urlopen(url, timeout=5) as response:
        data: dict[str, Any] = json.loads(response.read())
    return data


def open_positions(endpoints: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Non-flat positions per venue."""
    out: dict[str, list[dict[str, Any]]] = {}
    for venue, endpoint in endpoints.items():
        held = [p for p in sim_state(endpoint)["positions"] if p["side"] and p["qty"] != "0"]
        if held:
            out[venue] = held
    return out
