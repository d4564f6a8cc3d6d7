"""Bitget order-book checksum: signed CRC32 over the top 25 levels' wire strings."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

CHECKSUM_DEPTH = 25

TextLevel = tuple[str, str]


def book_checksum(bids: Sequence[TextLevel], asks: Sequence[TextLevel]) -> int:
    """Bitget's signed CRC32 over the top 25 levels, bid i then ask i, 'price:size' joined by ':'.

    Levels are the exact strings sent on the wire; bids best (highest) first, asks lowest first.
    When one side is shorter, the remaining parts come from the longer side only.
    """
    parts: list[str] = []
    for i in range(CHECKSUM_DEPTH):
        if i < len(bids):
            parts.extend(bids[i])
        if i < len(asks):
            parts.extend(asks[i])
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= (1 << 31) else crc
