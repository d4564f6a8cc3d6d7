"""The L2 order book of one symbol on one venue: snapshot/delta apply, top, depth-walk prices."""

from __future__ import annotations

import zlib
from bisect import bisect_left, insort
from collections.abc import Sequence
from typing import Any

from arbcore.core.enums import Venue
from arbcore.core.models import BookTop

Level = Sequence[Any]
"""One wire level: [price, qty, ...] with price and qty as str (or float/int as the wire gives)."""

FILL_TOLERANCE = 1e-12
"""Relative shortfall of visible depth still treated as a full fill (float summation noise)."""

NO_SNAPSHOT = "no snapshot"


class L2Book:
    """Price levels of one book as floats; best bid and ask in O(1).

    Each side is a dict price -> qty plus an ascending list of its prices kept sorted with
    bisect (measured faster than sortedcontainers for books of up to 1000 levels, see
    docs/benchmarks.md). Best ask is the first ask price, best bid the last bid price.
    With `keep_text=True` the original price and qty strings of every level are kept, for
    venues that checksum the wire text (Bitget, OKX).

    Validation of sequence numbers and checksums belongs to the venue's stream; the book
    records `seq`, `ts_ms` and `last_recv_ns` and carries the `stale` flag the stream sets
    with `mark_stale` and a snapshot clears. A new book is stale until its first snapshot.
    """

    __slots__ = (
        "_ask_px",
        "_ask_qty",
        "_ask_text",
        "_bid_px",
        "_bid_qty",
        "_bid_text",
        "keep_text",
        "last_recv_ns",
        "max_depth",
        "seq",
        "stale",
        "stale_reason",
        "symbol",
        "ts_ms",
        "updates",
        "venue",
    )

    def __init__(
        self,
        venue: Venue,
        symbol: str,
        max_depth: int | None = None,
        keep_text: bool = False,
    ) -> None:
        if max_depth is not None and max_depth < 1:
            raise ValueError(f"max_depth must be positive, got {max_depth}")
        self.venue = venue
        self.symbol = symbol
        self.max_depth = max_depth
        self.keep_text = keep_text
        self._bid_qty: dict[float, float] = {}
        self._ask_qty: dict[float, float] = {}
        self._bid_px: list[float] = []  # ascending; best bid is the last
        self._ask_px: list[float] = []  # ascending; best ask is the first
        self._bid_text: dict[float, tuple[str, str]] = {}
        self._ask_text: dict[float, tuple[str, str]] = {}
        self.seq = 0
        self.ts_ms = 0
        self.last_recv_ns = 0
        self.updates = 0
        self.stale = True
        self.stale_reason = NO_SNAPSHOT

    # ------------------------------------------------------------------ updates

    def apply_snapshot(
        self, bids: Sequence[Level], asks: Sequence[Level], seq: int, ts_ms: int, recv_ns: int
    ) -> None:
        """Replace the whole book; the book is whole (not stale) afterwards."""
        bid_qty = {float(lvl[0]): float(lvl[1]) for lvl in bids}
        ask_qty = {float(lvl[0]): float(lvl[1]) for lvl in asks}
        if self.keep_text:
            self._bid_text = {float(lvl[0]): (str(lvl[0]), str(lvl[1])) for lvl in bids}
            self._ask_text = {float(lvl[0]): (str(lvl[0]), str(lvl[1])) for lvl in asks}
        if bid_qty and min(bid_qty.values()) <= 0.0:
            bid_qty = self._drop_empty(bid_qty, self._bid_text)
        if ask_qty and min(ask_qty.values()) <= 0.0:
            ask_qty = self._drop_empty(ask_qty, self._ask_text)
        self._bid_qty = bid_qty
        self._ask_qty = ask_qty
        self._bid_px = sorted(bid_qty)
        self._ask_px = sorted(ask_qty)
        if self.max_depth is not None:
            self._truncate(self.max_depth)
        self.seq = seq
        self.ts_ms = ts_ms
        self.last_recv_ns = recv_ns
        self.updates += 1
        self.stale = False
        self.stale_reason = ""

    def apply_delta(
        self, bids: Sequence[Level], asks: Sequence[Level], seq: int, ts_ms: int, recv_ns: int
    ) -> None:
        """Set each level's absolute qty; qty 0 deletes the level."""
        if self.keep_text:
            if bids:
                _apply_side_text(self._bid_qty, self._bid_px, self._bid_text, bids)
            if asks:
                _apply_side_text(self._ask_qty, self._ask_px, self._ask_text, asks)
        else:
            # Both sides inline: this is the hot path of every venue stream.
            qty_by_px = self._bid_qty
            prices = self._bid_px
            for lvl in bids:
                px = float(lvl[0])
                qty = float(lvl[1])
                if qty > 0.0:
                    if px not in qty_by_px:
                        insort(prices, px)
                    qty_by_px[px] = qty
                elif qty_by_px.pop(px, None) is not None:
                    del prices[bisect_left(prices, px)]
            qty_by_px = self._ask_qty
            prices = self._ask_px
            for lvl in asks:
                px = float(lvl[0])
                qty = float(lvl[1])
                if qty > 0.0:
                    if px not in qty_by_px:
                        insort(prices, px)
                    qty_by_px[px] = qty
                elif qty_by_px.pop(px, None) is not None:
                    del prices[bisect_left(prices, px)]
        depth = self.max_depth
        if depth is not None and (len(self._bid_px) > depth or len(self._ask_px) > depth):
            self._truncate(depth)
        self.seq = seq
        self.ts_ms = ts_ms
        self.last_recv_ns = recv_ns
        self.updates += 1

    def clear(self, reason: str) -> None:
        """Drop every level and mark the book stale (a resync is coming)."""
        self._bid_qty = {}
        self._ask_qty = {}
        self._bid_px = []
        self._ask_px = []
        self._bid_text = {}
        self._ask_text = {}
        self.mark_stale(reason)

    def mark_stale(self, reason: str) -> None:
        """Flag the book as not whole (gap, checksum error, disconnect) until the next snapshot."""
        self.stale = True
        self.stale_reason = reason

    def is_stale(self, now_ns: int, stale_after_ms: int) -> bool:
        """True when flagged stale or when no update arrived for `stale_after_ms`."""
        return self.stale or now_ns - self.last_recv_ns > stale_after_ms * 1_000_000

    # ------------------------------------------------------------------ reads

    def best_bid(self) -> tuple[float, float] | None:
        px = self._bid_px
        if not px:
            return None
        top = px[-1]
        return top, self._bid_qty[top]

    def best_ask(self) -> tuple[float, float] | None:
        px = self._ask_px
        if not px:
            return None
        top = px[0]
        return top, self._ask_qty[top]

    def top(self) -> BookTop | None:
        """Best bid and ask as a core BookTop, or None while a side is empty."""
        if not self._bid_px or not self._ask_px:
            return None
        bid = self._bid_px[-1]
        ask = self._ask_px[0]
        return BookTop(
            venue=self.venue,
            symbol=self.symbol,
            bid_px=bid,
            bid_qty=self._bid_qty[bid],
            ask_px=ask,
            ask_qty=self._ask_qty[ask],
            ts_ms=self.ts_ms,
        )

    def buy_px(self, qty: float) -> float | None:
        """VWAP of buying `qty` by walking the asks; None if the visible depth is short."""
        if qty <= 0.0:
            return None
        book = self._ask_qty
        left = qty
        notional = 0.0
        for px in self._ask_px:
            lvl = book[px]
            if lvl >= left:
                return (notional + left * px) / qty
            notional += lvl * px
            left -= lvl
        if left <= qty * FILL_TOLERANCE:
            return notional / (qty - left)
        return None

    def sell_px(self, qty: float) -> float | None:
        """VWAP of selling `qty` by walking the bids; None if the visible depth is short."""
        if qty <= 0.0:
            return None
        book = self._bid_qty
        left = qty
        notional = 0.0
        for px in reversed(self._bid_px):
            lvl = book[px]
            if lvl >= left:
                return (notional + left * px) / qty
            notional += lvl * px
            left -= lvl
        if left <= qty * FILL_TOLERANCE:
            return notional / (qty - left)
        return None

    def bid_depth_qty(self) -> float:
        """Total visible bid quantity."""
        return sum(self._bid_qty.values())

    def ask_depth_qty(self) -> float:
        """Total visible ask quantity."""
        return sum(self._ask_qty.values())

    def depth_bids(self, n: int) -> list[tuple[float, float]]:
        """The best `n` bids, best first, as (price, qty)."""
        book = self._bid_qty
        prices = self._bid_px
        top = prices[: -n - 1 : -1] if n > 0 else []
        return [(px, book[px]) for px in top]

    def depth_asks(self, n: int) -> list[tuple[float, float]]:
        """The best `n` asks, best first, as (price, qty)."""
        book = self._ask_qty
        return [(px, book[px]) for px in self._ask_px[: max(n, 0)]]

    def text_levels(self, n: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The best `n` bids and asks as the original (price, qty) strings; needs keep_text."""
        if not self.keep_text:
            raise ValueError(f"{self.venue}:{self.symbol} book does not keep text levels")
        bid_text = self._bid_text
        ask_text = self._ask_text
        bids = [bid_text[px] for px in self._bid_px[: -n - 1 : -1]] if n > 0 else []
        asks = [ask_text[px] for px in self._ask_px[: max(n, 0)]]
        return bids, asks

    def checksum_crc32(self, depth: int = 25) -> int:
        """Signed CRC32 of `bidPx:bidQty:askPx:askQty:...` over the top `depth` text levels.

        The rule shared by Bitget `books` and OKX `books`: levels interleaved bid then ask,
        the original strings joined with ':'; when one side is shorter only the other
        side's levels continue.
        """
        bids, asks = self.text_levels(depth)
        parts: list[str] = []
        for i in range(max(len(bids), len(asks))):
            if i < len(bids):
                parts.extend(bids[i])
            if i < len(asks):
                parts.extend(asks[i])
        crc = zlib.crc32(":".join(parts).encode())
        return crc - (1 << 32) if crc >= 1 << 31 else crc

    def is_crossed(self) -> bool:
        """True when the best bid is at or above the best ask (an invalid book)."""
        return bool(self._bid_px and self._ask_px and self._bid_px[-1] >= self._ask_px[0])

    def __len__(self) -> int:
        return len(self._bid_px) + len(self._ask_px)

    def __repr__(self) -> str:
        return (
            f"L2Book({self.venue}:{self.symbol} bid={self.best_bid()} ask={self.best_ask()} "
            f"levels={len(self._bid_px)}/{len(self._ask_px)} seq={self.seq} stale={self.stale})"
        )

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _drop_empty(
        qty_by_px: dict[float, float], text_by_px: dict[float, tuple[str, str]]
    ) -> dict[float, float]:
        for px in [px for px, q in qty_by_px.items() if q <= 0.0]:
            text_by_px.pop(px, None)
        return {px: q for px, q in qty_by_px.items() if q > 0.0}

    def _truncate(self, depth: int) -> None:
        asks = self._ask_px
        if len(asks) > depth:
            for px in asks[depth:]:
                del self._ask_qty[px]
                self._ask_text.pop(px, None)
            del asks[depth:]
        bids = self._bid_px
        if len(bids) > depth:
            cut = len(bids) - depth
            for px in bids[:cut]:
                del self._bid_qty[px]
                self._bid_text.pop(px, None)
            del bids[:cut]


def _apply_side_text(
    qty_by_px: dict[float, float],
    prices: list[float],
    text_by_px: dict[float, tuple[str, str]],
    levels: Sequence[Level],
) -> None:
    for lvl in levels:
        px_text = lvl[0]
        qty_text = lvl[1]
        px = float(px_text)
        qty = float(qty_text)
        if qty > 0.0:
            if px not in qty_by_px:
                insort(prices, px)
            qty_by_px[px] = qty
            text_by_px[px] = (str(px_text), str(qty_text))
        elif qty_by_px.pop(px, None) is not None:
            del prices[bisect_left(prices, px)]
            del text_by_px[px]
