"""`arbcore sim` as a real process: endpoint lines, serving, faults via the CLI, clean Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

CLI = [sys.executable, "-c", "from arbcore.cli.main import app; app()"]


def _get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=10) as response:
        result: dict[str, object] = json.loads(response.read())
        return result


def test_sim_serves_prints_endpoints_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [*CLI, "sim", "--venues", "bybit", "--seed", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        assert line["venue"] == "bybit" and line["api_key"] == "bybit-demo-key"
        assert line["rest_url"].startswith("http://127.0.0.1:")
        assert line["ws_public_url"].endswith("/v5/public/linear")
        assert line["ws_private_url"].endswith("/v5/private")
        server_time = _get_json(f"{line['rest_url']}/v5/market/time")
        assert server_time["retCode"] == 0
        armed = subprocess.run(
            [*CLI, "sim", "fault", "rate_limit_next", "--url", line["rest_url"], "-p", "n=1"],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        assert json.loads(armed.stdout)["ok"] is True
        assert _get_json(f"{line['rest_url']}/v5/market/time")["retCode"] == 10006
        shown = subprocess.run(
            [*CLI, "sim", "faults", "--url", line["rest_url"]],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        assert json.loads(shown.stdout)["counters"]["applied"]["rate_limit_next"] == 1
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
    assert code == 0, proc.stderr.read() if proc.stderr else ""
