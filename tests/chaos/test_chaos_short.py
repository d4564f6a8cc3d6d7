"""`arbcore chaos` as a process: 30 cycles under every fault type, killed every 10, checked."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ARBCORE = str(Path(sys.executable).with_name("arbcore"))
ARMED_KINDS = {
    "drop_ws", "stall_ws", "skip_sequence", "corrupt_checksum", "reject_next_orders",
    "rate_limit_next", "delay_responses", "partial_fill_next", "execute_then_timeout_next",
    "refuse_connections",
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(480)
def test_chaos_30_cycles_keeps_every_invariant() -> None:
    run = subprocess.run(
        [ARBCORE, "chaos", "--cycles", "30", "--seed", "7", "--kill-every", "10", "--json",
         "--max-minutes", "8"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.stdout, run.stderr
    report = json.loads(run.stdout)
    assert report["failures"] == [], (report["failures"], report["workdir"])
    assert run.returncode == 0
    assert report["cycles_completed"] >= 30
    assert report["kills"] >= 2  # at 10 and 20; the 30th cycle ends the run
    assert report["crashes_other_than_kills"] == 0
    assert report["final_exit_code"] == 0
    assert report["naked_exposure_at_end"] == {}
    assert report["lost_records"] == 0 and report["phantom_fills"] == 0
    assert abs(Decimal(report["pnl_difference_usdt"])) < Decimal("0.01")
    assert report["executed_orders"] > 0
    injected = {kind for kind, n in report["faults_injected"].items() if n > 0}
    assert injected >= ARMED_KINDS - {"delay_responses"}
