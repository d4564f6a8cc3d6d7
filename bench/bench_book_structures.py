"""Why L2Book keeps dict + bisect-sorted price lists: the same deltas against a SortedDict book.

Run from the repository root: `.venv/bin/python -m bench.bench_book_structures`.
Writes bench/results/book_structures.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sortedcontainers import SortedDict  # type: ignore[import-untyped]

from arbcore.core.enums import Venue
from arbcore.market.book import L2Book

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "book_structures.json"
Levels = list[list[str]]


class SortedDictBook:
    """The alternative: one SortedDict per side (sortedcontainers)."""

    def __init__(self, bids: Levels, asks: Levels) -> None:
        self.bids: SortedDict = SortedDict({float(p): float(q) for p, q in bids})
        self.asks: SortedDict = SortedDict({float(p): float(q) for p, q in asks})

    def apply_delta(self, bids: Sequence[Sequence[str]], asks: Sequence[Sequence[str]]) -> None:
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for lvl in levels:
                px = float(lvl[0])
                qty = float(lvl[1])
                if qty > 0.0:
                    side[px] = qty
                else:
                    side.pop(px, None)

    def top(self) -> tuple[Any, Any]:
        return self.bids.peekitem(-1), self.asks.peekitem(0)


def make_updates(depth: int, count: int, seed: int = 1) -> tuple[Levels, Levels, list[Any]]:
    """A `depth`-level book and `count` deltas of three changes a side (30% deletes)."""
    rnd = random.Random(seed)
    mid = 300_000

    def qty() -> str:
        return f"{rnd.uniform(0.001, 5):.3f}"

    bids = [[f"{(mid - i - 1) / 10:.1f}", qty()] for i in range(depth)]
    asks = [[f"{(mid + i) / 10:.1f}", qty()] for i in range(depth)]
    updates = []
    for _ in range(count):
        bid_changes = []
        ask_changes = []
        for _ in range(3):
            i = rnd.randrange(depth + 5)
            bid_changes.append([f"{(mid - i - 1) / 10:.1f}", "0" if rnd.random() < 0.3 else qty()])
            i = rnd.randrange(depth + 5)
            ask_changes.append([f"{(mid + i) / 10:.1f}", "0" if rnd.random() < 0.3 else qty()])
        updates.append((bid_changes, ask_changes))
    return bids, asks, updates


def measure(depth: int, count: int, batches: int) -> dict[str, float]:
    bids, asks, updates = make_updates(depth, count)
    samples: dict[str, list[float]] = {"dict_bisect": [], "sorteddict": []}
    for _ in range(batches):
        book = L2Book(Venue.BYBIT, "BTCUSDT")
        book.apply_snapshot(bids, asks, 1, 1, 1)
        start = time.thread_time_ns()
        for bid_changes, ask_changes in updates:
            book.apply_delta(bid_changes, ask_changes, 2, 2, 2)
            book.best_bid()
            book.best_ask()
        samples["dict_bisect"].append((time.thread_time_ns() - start) / count)
        other = SortedDictBook(bids, asks)
        start = time.thread_time_ns()
        for bid_changes, ask_changes in updates:
            other.apply_delta(bid_changes, ask_changes)
            other.top()
        samples["sorteddict"].append((time.thread_time_ns() - start) / count)
    return {name: round(statistics.median(s) / 1000, 3) for name, s in samples.items()}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=500, help="deltas per batch")
    parser.add_argument("--batches", type=int, default=41)
    parser.add_argument("--out", type=Path, default=RESULTS_PATH)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    rows = {str(depth): measure(depth, args.updates, args.batches) for depth in (50, 200, 1000)}
    results = {
        "meta": {
            "what": "apply one delta (3 level changes a side) + read best bid and ask",
            "statistic": "median thread-CPU µs per delta over batches",
            "updates_per_batch": args.updates,
            "batches": args.batches,
        },
        "results_us_by_depth": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    if not args.quiet:
        table = Table(title="book structure: µs per delta + top read")
        for column in ("levels a side", "dict + bisect (L2Book)", "SortedDict"):
            table.add_column(column)
        for depth, row in rows.items():
            table.add_row(depth, str(row["dict_bisect"]), str(row["sorteddict"]))
        Console().print(table)
    return results


if __name__ == "__main__":
    main()
