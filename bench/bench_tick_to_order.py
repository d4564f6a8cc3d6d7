"""Tick-to-decision and tick-to-order of the real engine against a simulator process.

Run from the repository root: `.venv/bin/python -m bench.bench_tick_to_order [--seconds 60]`.
The simulator runs in its own process (frequent divergence episodes), the engine in this
one, over real loopback sockets; every entry's latencies are recorded. Writes
bench/results/tick_to_order.json; docs/benchmarks.md explains the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from arbcore.engine.engine import Engine
from arbcore.engine.stats import percentile
from arbcore.settings import Settings
from arbcore.sim.process import exchanges_section, start_sim_process

RESULTS = Path("bench/results/tick_to_order.json")
SIM_CONFIG = {
    "coins": ["BTC", "ETH", "SOL"],
    "divergence": {
        "episode_every_s": 3.0,
        "episode_size_bps": 60.0,
        "episode_duration_s": 4.0,
        "half_life_s": 2.0,
    },
}
PAIRS = [
    {
        "symbol": symbol,
        "exchanges": ["bybit", "bitget"],
        "volume_base": volume,
        "entry_spread_pct": "0.15",
        "take_profit_pct": "0.05",
        "stop_loss_pct": "1.5",
        "leverage": 5,
        "max_slippage_pct": "0.05",
    }
    for symbol, volume in (("BTCUSDT", "0.02"), ("ETHUSDT", "0.4"), ("SOLUSDT", "8"))
]


def summary_us(samples_ns: list[int]) -> dict[str, float | int | None]:
    def us(p: float) -> float | None:
        value = percentile(samples_ns, p)
        return None if value is None else round(value / 1000, 1)

    return {"count": len(samples_ns), "p50": us(50), "p90": us(90), "p99": us(99), "max": us(100)}


async def run(seconds: float, workdir: Path) -> dict[str, Any]:
    config_path = workdir / "sim.yaml"
    config_path.write_text(yaml.safe_dump(SIM_CONFIG), encoding="utf-8")
    proc, endpoints = start_sim_process("bybit,bitget", seed=2, config=config_path)
    try:
        exchanges = exchanges_section(endpoints)
        for venue, info in endpoints.items():
            exchanges[venue].update(
                api_key=info["api_key"], secret=info["secret"], passphrase=info.get("passphrase")
            )
        settings = Settings(
            database={"url": f"sqlite+aiosqlite:///{workdir / 'bench.db'}"},
            exchanges=exchanges,
            engine={"close_on_shutdown": True, "max_concurrent_arbitrages": 3},
            pairs=PAIRS,
            logging={"file_path": None, "stderr": False},
            metrics={"enabled": False},
            api={"enabled": False},
        )
        engine = Engine(settings)
        stop = asyncio.Event()
        task = asyncio.create_task(engine.run(stop))
        await engine.ready.wait()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu_share = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        stop.set()
        await task
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    stats = engine.stats
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m_at_end": os.getloadavg()[0],
        },
        "seconds": seconds,
        "entries": stats.cycles_opened,
        "engine_cpu_share": round(cpu_share, 3),
        "tick_to_decision_us": summary_us(stats.tick_to_decision_ns),
        "send_both_legs_cpu_us": summary_us(stats.send_cpu_ns),
        "tick_to_order_us": summary_us(stats.tick_to_order_ns),
        "note": "tick_to_* are wall clock on a shared 2-core machine where each loopback write "
        "wakes the simulator process, which often preempts the engine mid-send; "
        "send_both_legs_cpu_us is the engine's own CPU time to write both legs",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.seconds, Path(tmp)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
