"""The order-path benchmark runs end to end on a few orders and writes its results file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_bench_order_path_runs_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "order_path.json"
    args = ["--rounds", "3", "--gap-ms", "0", "--out", str(out)]
    subprocess.run(
        [sys.executable, "-m", "bench.bench_order_path", *args],
        cwd=REPO_ROOT,
        check=True,
        timeout=120,
        capture_output=True,
    )
    results = json.loads(out.read_text())
    assert results["rounds"] == 3
    for case in (
        "client_fast_lane",
        "client_aiohttp",
        "transport_fast_lane",
        "floor_blocking_socket",
    ):
        assert results["cases"][case]["orders"] == 3
        assert results["cases"][case]["median_us"] > 0
