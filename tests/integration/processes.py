"""Real processes for tests: a standalone simulator and arbcore commands against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

ARBCORE = str(Path(sys.executable).with_name("arbcore"))


@contextmanager
def sim_process(
    venues: str = "bybit,bitget", seed: int = 1, config: Path | None = None
) -> Iterator[dict[str, dict[str, Any]]]:
    """`arbcore sim` in its own process; yields each venue's endpoints line."""
    extra = ["--config", str(config)] if config is not None else []
    proc = subprocess.Popen(
        [ARBCORE, "sim", "--venues", venues, "--seed", str(seed), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        endpoints: dict[str, dict[str, Any]] = {}
        assert proc.stdout is not None
        for _ in venues.split(","):
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(
                    f"simulator did not start: {proc.stderr.read() if proc.stderr else ''}"
                )
            info = json.loads(line)
            endpoints[info["venue"]] = info
        yield endpoints
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def write_config(path: Path, endpoints: dict[str, dict[str, Any]], **sections: Any) -> Path:
    """An app.yaml pointing at the simulator (no secrets: those go in the environment)."""
    exchanges = {
        venue: {
            "enabled": True,
            "env": "sim",
            "rest_url": info["rest_url"],
            "ws_public_url": info["ws_public_url"],
            "ws_private_url": info["ws_private_url"],
        }
        for venue, info in endpoints.items()
    }
    data = {
        "database": {"url": f"sqlite+aiosqlite:///{path.parent / 'arbcore.db'}"},
        "exchanges": exchanges,
    }
    data.update(sections)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def credentials_env(endpoints: dict[str, dict[str, Any]]) -> dict[str, str]:
    env = dict(os.environ)
    for venue, info in endpoints.items():
        prefix = f"ARBCORE__EXCHANGES__{venue.upper()}__"
        env[prefix + "API_KEY"] = info["api_key"]
        env[prefix + "SECRET"] = info["secret"]
        if info.get("passphrase"):
            env[prefix + "PASSPHRASE"] = info["passphrase"]
    return env


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
