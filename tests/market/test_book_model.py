"""Property tests: L2Book agrees with a naive reference book on random snapshots and deltas."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbcore.core.enums import Venue
from arbcore.market.book import L2Book

PRICE_TEXT = st.integers(min_value=1, max_value=80).map(lambda i: f"{100 + i * 0.5:.1f}")
QTY_TEXT = st.sampled_from(["0", "0.001", "0.010", "0.5", "1", "1.25", "3.000", "7.7", "12"])
LEVELS = st.lists(st.tuples(PRICE_TEXT, QTY_TEXT), max_size=12)
SNAPSHOT_LEVELS = st.lists(
    st.tuples(PRICE_TEXT, QTY_TEXT.filter(lambda q: q != "0")),
    max_size=30,
    unique_by=lambda x: x[0],
)
OPS = st.lists(st.tuples(LEVELS, LEVELS), max_size=25)
QTYS = st.sampled_from([0.001, 0.01, 0.3, 1.0, 2.5, 9.99, 20.0, 55.0, 400.0])


@dataclass
class ReferenceBook:
    """The straightforward model: one dict per side, sorted on every read."""

    max_depth: int | None
    bids: dict[float, tuple[float, str, str]] = field(default_factory=dict)
    asks: dict[float, tuple[float, str, str]] = field(default_factory=dict)

    def snapshot(self, bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> None:
        self.bids = {}
        self.asks = {}
        self.delta(bids, asks)

    def delta(self, bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> None:
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for px_text, qty_text in levels:
                if float(qty_text) == 0.0:
                    side.pop(float(px_text), None)
                else:
                    side[float(px_text)] = (float(qty_text), px_text, qty_text)
        if self.max_depth is not None:
            self.bids = dict(self.sorted_bids()[: self.max_depth])
            self.asks = dict(self.sorted_asks()[: self.max_depth])

    def sorted_bids(self) -> list[tuple[float, tuple[float, str, str]]]:
        return sorted(self.bids.items(), reverse=True)

    def sorted_asks(self) -> list[tuple[float, tuple[float, str, str]]]:
        return sorted(self.asks.items())

    @staticmethod
    def walk(levels: list[tuple[float, tuple[float, str, str]]], qty: float) -> float | None:
        if sum(lvl[1][0] for lvl in levels) < qty * (1 - 1e-12):
            return None
        left = qty
        notional = 0.0
        for px, (lvl_qty, _, _) in levels:
            take = min(left, lvl_qty)
            notional += take * px
            left -= take
            if left <= 0:
                break
        return notional / (qty - max(left, 0.0))


def assert_same(book: L2Book, ref: ReferenceBook, qtys: list[float]) -> None:
    ref_bids = ref.sorted_bids()
    ref_asks = ref.sorted_asks()
    assert book.best_bid() == ((ref_bids[0][0], ref_bids[0][1][0]) if ref_bids else None)
    assert book.best_ask() == ((ref_asks[0][0], ref_asks[0][1][0]) if ref_asks else None)
    assert book.depth_bids(1000) == [(px, q) for px, (q, _, _) in ref_bids]
    assert book.depth_asks(1000) == [(px, q) for px, (q, _, _) in ref_asks]
    assert book.depth_bids(3) == [(px, q) for px, (q, _, _) in ref_bids[:3]]
    assert book.depth_asks(3) == [(px, q) for px, (q, _, _) in ref_asks[:3]]
    text_bids, text_asks = book.text_levels(1000)
    assert text_bids == [(p, q) for _, (_, p, q) in ref_bids]
    assert text_asks == [(p, q) for _, (_, p, q) in ref_asks]
    crossed = bool(ref_bids and ref_asks and ref_bids[0][0] >= ref_asks[0][0])
    assert book.is_crossed() is crossed
    assert len(book) == len(ref_bids) + len(ref_asks)
    for qty in qtys:
        expected_buy = ReferenceBook.walk(ref_asks, qty)
        expected_sell = ReferenceBook.walk(ref_bids, qty)
        got_buy = book.buy_px(qty)
        got_sell = book.sell_px(qty)
        assert (got_buy is None) == (expected_buy is None)
        assert (got_sell is None) == (expected_sell is None)
        if expected_buy is not None:
            assert got_buy == pytest.approx(expected_buy, rel=1e-12)
        if expected_sell is not None:
            assert got_sell == pytest.approx(expected_sell, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    snap_bids=SNAPSHOT_LEVELS,
    snap_asks=SNAPSHOT_LEVELS,
    ops=OPS,
    qtys=st.lists(QTYS, min_size=1, max_size=4),
    max_depth=st.one_of(st.none(), st.integers(min_value=1, max_value=15)),
)
def test_book_matches_reference(
    snap_bids: list[tuple[str, str]],
    snap_asks: list[tuple[str, str]],
    ops: list[tuple[list[tuple[str, str]], list[tuple[str, str]]]],
    qtys: list[float],
    max_depth: int | None,
) -> None:
    book = L2Book(Venue.BYBIT, "BTCUSDT", max_depth=max_depth, keep_text=True)
    plain = L2Book(Venue.BYBIT, "BTCUSDT", max_depth=max_depth)
    ref = ReferenceBook(max_depth)
    book.apply_snapshot(snap_bids, snap_asks, seq=1, ts_ms=1, recv_ns=1)
    plain.apply_snapshot(snap_bids, snap_asks, seq=1, ts_ms=1, recv_ns=1)
    ref.snapshot(snap_bids, snap_asks)
    assert_same(book, ref, qtys)
    for seq, (bids, asks) in enumerate(ops, start=2):
        book.apply_delta(bids, asks, seq=seq, ts_ms=seq, recv_ns=seq)
        plain.apply_delta(bids, asks, seq=seq, ts_ms=seq, recv_ns=seq)
        ref.delta(bids, asks)
        assert_same(book, ref, qtys)
        assert book.seq == seq
        assert plain.depth_bids(1000) == book.depth_bids(1000)
        assert plain.depth_asks(1000) == book.depth_asks(1000)
        assert plain.buy_px(qtys[0]) == book.buy_px(qtys[0])


@settings(max_examples=200, deadline=None)
@given(snap_bids=SNAPSHOT_LEVELS, snap_asks=SNAPSHOT_LEVELS, ops=OPS)
def test_text_and_plain_books_agree(
    snap_bids: list[tuple[str, str]],
    snap_asks: list[tuple[str, str]],
    ops: list[tuple[list[tuple[str, str]], list[tuple[str, str]]]],
) -> None:
    plain = L2Book(Venue.BYBIT, "BTCUSDT")
    text = L2Book(Venue.BITGET, "BTCUSDT", keep_text=True)
    as_floats = L2Book(Venue.MEXC, "BTCUSDT")
    for book in (plain, text):
        book.apply_snapshot(snap_bids, snap_asks, 1, 1, 1)
    as_floats.apply_snapshot(
        [(float(p), float(q)) for p, q in snap_bids],
        [(float(p), float(q)) for p, q in snap_asks],
        1,
        1,
        1,
    )
    for bids, asks in ops:
        plain.apply_delta(bids, asks, 2, 2, 2)
        text.apply_delta(bids, asks, 2, 2, 2)
        as_floats.apply_delta(
            [(float(p), float(q)) for p, q in bids],
            [(float(p), float(q)) for p, q in asks],
            2,
            2,
            2,
        )
    for book in (text, as_floats):
        assert book.depth_bids(100) == plain.depth_bids(100)
        assert book.depth_asks(100) == plain.depth_asks(100)
