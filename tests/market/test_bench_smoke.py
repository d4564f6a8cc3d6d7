"""The book benchmark runs end to end on a few iterations and writes its results file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_book_runs_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "book.json"
    args = ["--deltas", "20", "--batches", "1", "--reads", "5", "--orders", "3", "--quiet"]
    subprocess.run(
        [sys.executable, "-m", "bench.bench_book", *args, "--out", str(out)],
        cwd=REPO_ROOT,
        check=True,
        timeout=120,
    )
    results = json.loads(out.read_text())
    assert results["meta"]["deltas_per_batch"] == 20
    rows = results["results"]
    for case in ("parse_apply", "top_and_walk", "order_build_sign"):
        assert rows[case]["arbcore_median_us"] > 0
        assert rows[case]["ccxt_median_us"] > 0
    assert rows["stream_on_frame"]["arbcore_median_us"] > 0
