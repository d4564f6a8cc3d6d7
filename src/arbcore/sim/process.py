"""`arbcore sim` as a separate process, and the config/env pieces an engine needs to use it."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

ARBCORE = str(Path(sys.executable).with_name("arbcore"))
Endpoints = dict[str, dict[str, Any]]  # venue -> the JSON line `arbcore sim` prints
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child before exec (Linux): SIGTERM it when its parent dies, so a killed test or
    chaos run leaves no simulator or engine behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_sim_process(
    venues: str,
    seed: int = 1,
    config: Path | None = None,
    stderr: IO[str] | int = subprocess.PIPE,
) -> tuple[subprocess.Popen[str], Endpoints]:
    """Start the simulator and read one endpoints line per venue (REST/WS URLs, demo keys)."""
    extra = ["--config", str(config)] if config is not None else []
    proc = subprocess.Popen(
        [ARBCORE, "sim", "--venues", venues, "--seed", str(seed), *extra],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        preexec_fn=die_with_parent,
    )
    endpoints: Endpoints = {}
    assert proc.stdout is not None
    for _ in venues.split(","):
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            proc.wait()
            detail = proc.stderr.read() if proc.stderr is not None else ""
            raise RuntimeError(f"the simulator did not start: {detail}")
        info = json.loads(line)
        endpoints[info["venue"]] = info
    return proc, endpoints


def exchanges_section(endpoints: Endpoints) -> dict[str, dict[str, Any]]:
    """The `exchanges:` config for venues served by the simulator (no secrets)."""
    return {
        venue: {
            "enabled": True,
            "env": "sim",
            "rest_url": info["rest_url"],
            "ws_public_url": info["ws_public_url"],
            "ws_private_url": info["ws_private_url"],
        }
        for venue, info in endpoints.items()
    }


def credentials_env(endpoints: Endpoints, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment with the simulator's demo keys, as an engine process reads secrets."""
    env = dict(os.environ if base is None else base)
    for venue, info in endpoints.items():
        prefix = f"ARBCORE__EXCHANGES__{venue.upper()}__"
        env[prefix + "API_KEY"] = info["api_key"]
        env[prefix + "SECRET"] = info["secret"]
        if info.get("passphrase"):
            env[prefix + "PASSPHRASE"] = info["passphrase"]
    return env
