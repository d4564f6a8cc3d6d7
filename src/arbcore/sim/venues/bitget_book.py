"""Bitget order-book wire state: level text, CRC32 checksum, subscriber diffs."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

CHECKSUM_DEPTH = 25

TextLevel = tuple[str, str]


def book_checksum(bids: Sequence[TextLevel], asks: Sequence[TextLevel]) -> int:
    """Bitget's signed CRC32 over the top 25 levels, bid i then ask i, 'price:size' joined by ':'.

    Levels are the exact strings sent on the wire; bids best (highest) first, asks lowest first.
    """
    parts: list[str] = []
    for i in range(CHECKSUM_DEPTH):
        if i < len(bids):
            parts.extend(bids[i])
        if i < len(asks):
            parts.extend(asks[i])
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= (1 << 31) else crc


def fmt_places(value: float, places: int) -> str:
    """A book number as Bitget prints it: fixed decimals of the instrument (e.g. '27000.0')."""
    return f"{value:.{places}f}"


@dataclass
class BookView:
    """What one subscriber was last told about one book (text levels), plus its seq counter.

    `diff` turns a fresh top-of-book into the delta Bitget would push: changed or new levels
    with their size, removed levels with size "0".
    """

    bids: dict[str, str] = field(default_factory=dict)
    asks: dict[str, str] = field(default_factory=dict)
    seq: int = 0

    def replace(self, bids: Sequence[TextLevel], asks: Sequence[TextLevel]) -> None:
        self.bids = dict(bids)
        self.asks = dict(asks)

    def diff(
        self, bids: Sequence[TextLevel], asks: Sequence[TextLevel]
    ) -> tuple[list[TextLevel], list[TextLevel]]:
        bid_delta = _side_delta(self.bids, bids)
        ask_delta = _side_delta(self.asks, asks)
        self.replace(bids, asks)
        return bid_delta, ask_delta

    def sorted_levels(self) -> tuple[list[TextLevel], list[TextLevel]]:
        bids = sorted(self.bids.items(), key=lambda lv: float(lv[0]), reverse=True)
        asks = sorted(self.asks.items(), key=lambda lv: float(lv[0]))
        return bids, asks

    def checksum(self) -> int:
        bids, asks = self.sorted_levels()
        return book_checksum(bids, asks)


def _side_delta(old: dict[str, str], new: Sequence[TextLevel]) -> list[TextLevel]:
    fresh = dict(new)
    delta = [(px, qty) for px, qty in new if old.get(px) != qty]
    delta.extend((px, "0") for px in old if px not in fresh)
    return delta
