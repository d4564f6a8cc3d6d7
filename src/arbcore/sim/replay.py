"""Replay of recorded book streams (JSON lines) into the simulator's books, and a recorder for them.

File format, one JSON object per line, in time order:

    {"ts_ms": 1700000000000, "venue": "bybit", "symbol": "BTCUSDT", "type": "snapshot",
     "bids": [["65000.1", "0.500"], ...], "asks": [["65000.2", "1.200"], ...]}

`venue` is an arbcore venue name, `symbol` the arbcore symbol (BTCUSDT) or the venue's id,
`type` is "snapshot" (replaces the book) or "delta" (absolute sizes; "0" deletes a level).
Prices and sizes are strings in the venue's own units (contracts where the venue uses them)
and must lie on the instrument's tick and step grid. Lines for venues not running are skipped.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from arbcore.core.clock import Clock
from arbcore.core.enums import Venue
from arbcore.sim.market import BookUpdate, Level, SimBook
from arbcore.sim.matching import SimExchange


@dataclass(frozen=True, slots=True)
class ReplayLine:
    ts_ms: int
    venue: Venue
    symbol: str
    snapshot: bool
    bids: list[tuple[str, str]]
    asks: list[tuple[str, str]]


def read_replay(path: Path) -> Iterator[ReplayLine]:
    """Parse a replay file; raises ValueError naming the line on malformed input."""
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                obj: dict[str, Any] = json.loads(raw)
                kind = obj["type"]
                if kind not in ("snapshot", "delta"):
                    raise ValueError(f"type must be snapshot or delta, got {kind!r}")
                yield ReplayLine(
                    ts_ms=int(obj["ts_ms"]),
                    venue=Venue(obj["venue"]),
                    symbol=str(obj["symbol"]),
                    snapshot=kind == "snapshot",
                    bids=[(str(p), str(q)) for p, q in obj.get("bids", [])],
                    asks=[(str(p), str(q)) for p, q in obj.get("asks", [])],
                )
            except (KeyError, ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: {exc}") from exc


def _levels(book: SimBook, levels: list[tuple[str, str]]) -> list[Level]:
    return [(book.ticks_of(Decimal(p)), book.steps_of(Decimal(q))) for p, q in levels]


class ReplayDriver:
    """Feeds a replay file into the books of the running venues, keeping its timing / speed."""

    def __init__(
        self, path: Path, exchanges: Mapping[Venue, SimExchange], speed: float, clock: Clock
    ) -> None:
        self.lines = [
            line
            for line in read_replay(path)
            if line.venue in exchanges and _has_symbol(exchanges[line.venue], line.symbol)
        ]
        self.exchanges = exchanges
        self.speed = speed
        self.clock = clock
        self.position = 0
        self.applied = 0

    def _apply(self, line: ReplayLine) -> None:
        exchange = self.exchanges[line.venue]
        book = exchange.books[exchange.instrument(line.symbol).symbol]
        book.apply(_levels(book, line.bids), _levels(book, line.asks), self.clock.now_ms(),
                   snapshot=line.snapshot)  # fmt: skip
        self.applied += 1

    def prime(self) -> None:
        """Apply every line stamped with the first timestamp (the opening snapshots)."""
        if not self.lines:
            return
        first = self.lines[0].ts_ms
        while self.position < len(self.lines) and self.lines[self.position].ts_ms == first:
            self._apply(self.lines[self.position])
            self.position += 1

    async def run(self) -> None:
        """Apply the remaining lines at their recorded pace (divided by `speed`)."""
        while self.position < len(self.lines):
            line = self.lines[self.position]
            previous = self.lines[self.position - 1].ts_ms if self.position else line.ts_ms
            wait_s = max(0, line.ts_ms - previous) / 1000 / self.speed
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            self._apply(line)
            self.position += 1


def _has_symbol(exchange: SimExchange, symbol: str) -> bool:
    return symbol in exchange.instruments or symbol in exchange.by_venue_symbol


class BookRecorder:
    """Writes every update of the given books to a replay file (the format above)."""

    def __init__(self, out: IO[str], venue: Venue) -> None:
        self.out = out
        self.venue = venue
        self.lines = 0

    def write_snapshot(self, book: SimBook) -> None:
        bids, asks = book.top()
        self._write(book, book.ts_ms, "snapshot", bids, asks)

    def __call__(self, book: SimBook, update: BookUpdate) -> None:
        kind = "snapshot" if update.is_snapshot else "delta"
        self._write(book, update.ts_ms, kind, update.bids, update.asks)

    def _write(
        self, book: SimBook, ts_ms: int, kind: str, bids: list[Level], asks: list[Level]
    ) -> None:
        line = {
            "ts_ms": ts_ms,
            "venue": self.venue.value,
            "symbol": book.instrument.symbol,
            "type": kind,
            "bids": [[book.price_text(t), book.qty_text(s)] for t, s in bids],
            "asks": [[book.price_text(t), book.qty_text(s)] for t, s in asks],
        }
        self.out.write(json.dumps(line) + "\n")
        self.lines += 1
