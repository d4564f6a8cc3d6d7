"""L2Book behaviour: deletes, crossed books, short depth, staleness, text levels, truncation."""

from __future__ import annotations

import zlib

import pytest

from arbcore.core.enums import Venue
from arbcore.core.models import BookTop
from arbcore.market.book import L2Book

MS = 1_000_000


def bybit_book(**kwargs: object) -> L2Book:
    book = L2Book(Venue.BYBIT, "BTCUSDT", **kwargs)  # type: ignore[arg-type]
    book.apply_snapshot(
        bids=[["16493.50", "0.006"], ["16493.00", "0.100"], ["16492.50", "1.000"]],
        asks=[["16611.00", "0.029"], ["16612.00", "0.213"], ["16613.00", "2.000"]],
        seq=18521288,
        ts_ms=1672304484978,
        recv_ns=10 * MS,
    )
    return book


def test_snapshot_sets_top_and_metadata() -> None:
    book = bybit_book()
    assert book.best_bid() == (16493.5, 0.006)
    assert book.best_ask() == (16611.0, 0.029)
    assert (book.seq, book.ts_ms, book.last_recv_ns) == (18521288, 1672304484978, 10 * MS)
    assert not book.stale
    assert book.top() == BookTop(
        Venue.BYBIT, "BTCUSDT", 16493.5, 0.006, 16611.0, 0.029, 1672304484978
    )


def test_new_book_is_empty_and_stale() -> None:
    book = L2Book(Venue.OKX, "BTCUSDT")
    assert book.best_bid() is None
    assert book.best_ask() is None
    assert book.top() is None
    assert book.buy_px(1.0) is None
    assert book.sell_px(1.0) is None
    assert book.stale
    assert book.stale_reason == "no snapshot"
    assert book.is_stale(now_ns=0, stale_after_ms=5_000)
    assert not book.is_crossed()


def test_zero_qty_deletes_and_absolute_qty_replaces() -> None:
    book = bybit_book()
    book.apply_delta(
        bids=[["16493.50", "0"], ["16493.00", "0.250"]],
        asks=[["16611.00", "0"], ["16610.50", "0.400"]],
        seq=18521289,
        ts_ms=1672304485000,
        recv_ns=11 * MS,
    )
    assert book.best_bid() == (16493.0, 0.25)
    assert book.best_ask() == (16610.5, 0.4)
    assert book.depth_bids(10) == [(16493.0, 0.25), (16492.5, 1.0)]
    assert book.depth_asks(10) == [(16610.5, 0.4), (16612.0, 0.213), (16613.0, 2.0)]
    assert book.seq == 18521289


def test_deleting_an_unknown_level_is_harmless() -> None:
    book = bybit_book()
    book.apply_delta(bids=[["1.0", "0"]], asks=[["99999.0", "0"]], seq=2, ts_ms=2, recv_ns=2)
    assert len(book) == 6


def test_snapshot_replaces_everything_and_drops_zero_levels() -> None:
    book = bybit_book()
    book.apply_snapshot(
        bids=[["100.0", "1"], ["99.0", "0"]], asks=[["101.0", "2"]], seq=1, ts_ms=1, recv_ns=1
    )
    assert book.depth_bids(10) == [(100.0, 1.0)]
    assert book.depth_asks(10) == [(101.0, 2.0)]


def test_vwap_walk_exact_values() -> None:
    book = bybit_book()
    assert book.buy_px(0.029) == 16611.0
    assert book.buy_px(0.129) == pytest.approx((0.029 * 16611.0 + 0.1 * 16612.0) / 0.129, rel=1e-15)
    assert book.sell_px(0.106) == pytest.approx(
        (0.006 * 16493.5 + 0.1 * 16493.0) / 0.106, rel=1e-15
    )
    full_asks = 0.029 + 0.213 + 2.0
    assert book.buy_px(full_asks) == pytest.approx(
        (0.029 * 16611.0 + 0.213 * 16612.0 + 2.0 * 16613.0) / full_asks, rel=1e-15
    )


def test_depth_short_gives_none() -> None:
    book = bybit_book()
    assert book.buy_px(2.242) is not None
    assert book.buy_px(2.243) is None
    assert book.sell_px(1.2) is None
    assert book.buy_px(0.0) is None
    assert book.sell_px(-1.0) is None


def test_float_summation_noise_is_not_a_shortfall() -> None:
    book = L2Book(Venue.BYBIT, "X")
    book.apply_snapshot([], [["10", "0.1"], ["11", "0.2"]], 1, 1, 1)
    assert book.buy_px(0.3) == pytest.approx((0.1 * 10 + 0.2 * 11) / 0.3, rel=1e-12)


def test_crossed_and_locked_books_are_detected() -> None:
    book = bybit_book()
    assert not book.is_crossed()
    book.apply_delta(bids=[["16611.00", "1"]], asks=[], seq=2, ts_ms=2, recv_ns=2)
    assert book.is_crossed()
    book.apply_delta(bids=[["16611.00", "0"], ["16700.0", "1"]], asks=[], seq=3, ts_ms=3, recv_ns=3)
    assert book.is_crossed()
    book.apply_delta(bids=[["16700.0", "0"]], asks=[], seq=4, ts_ms=4, recv_ns=4)
    assert not book.is_crossed()


def test_staleness_by_flag_and_by_silence() -> None:
    book = bybit_book()
    assert not book.is_stale(now_ns=10 * MS + 5_000 * MS, stale_after_ms=5_000)
    assert book.is_stale(now_ns=10 * MS + 5_001 * MS, stale_after_ms=5_000)
    book.mark_stale("sequence gap 5 -> 7")
    assert book.stale
    assert book.stale_reason == "sequence gap 5 -> 7"
    assert book.is_stale(now_ns=10 * MS, stale_after_ms=5_000)
    book.apply_delta(bids=[["1", "1"]], asks=[], seq=9, ts_ms=9, recv_ns=20 * MS)
    assert book.stale, "a delta does not make a broken book whole"
    book.apply_snapshot([["1", "1"]], [["2", "1"]], seq=10, ts_ms=10, recv_ns=30 * MS)
    assert not book.stale
    assert book.stale_reason == ""
    assert not book.is_stale(now_ns=31 * MS, stale_after_ms=5_000)


def test_clear_drops_levels_and_marks_stale() -> None:
    book = bybit_book(keep_text=True)
    book.clear("checksum mismatch")
    assert len(book) == 0
    assert book.text_levels(5) == ([], [])
    assert book.stale_reason == "checksum mismatch"


def test_text_levels_keep_the_wire_strings() -> None:
    book = L2Book(Venue.BITGET, "BTCUSDT", keep_text=True)
    book.apply_snapshot(
        bids=[["27000.0", "2.710"], ["26999.5", "1.460"]],
        asks=[["27000.5", "8.760"], ["27001.0", "0.400"]],
        seq=123,
        ts_ms=1695716059516,
        recv_ns=1,
    )
    assert book.text_levels(25) == (
        [("27000.0", "2.710"), ("26999.5", "1.460")],
        [("27000.5", "8.760"), ("27001.0", "0.400")],
    )
    book.apply_delta(
        bids=[["26999.50", "1.2000"]], asks=[["27000.5", "0"]], seq=124, ts_ms=2, recv_ns=2
    )
    assert book.text_levels(1) == ([("27000.0", "2.710")], [("27001.0", "0.400")])
    assert book.text_levels(5)[0] == [("27000.0", "2.710"), ("26999.50", "1.2000")]
    assert book.depth_bids(5) == [(27000.0, 2.71), (26999.5, 1.2)]


def test_text_levels_need_keep_text() -> None:
    with pytest.raises(ValueError, match="text"):
        bybit_book().text_levels(5)


def test_checksum_matches_the_bitget_fact_sheet_example() -> None:
    book = L2Book(Venue.BITGET, "BTCUSDT", keep_text=True)
    book.apply_snapshot([["27000.0", "2.710"]], [["27000.5", "8.760"]], 1, 1, 1)
    assert book.checksum_crc32(25) == -202498636


def test_checksum_interleaves_and_continues_the_longer_side() -> None:
    book = L2Book(Venue.OKX, "BTC-USDT-SWAP", keep_text=True)
    book.apply_snapshot(
        bids=[["8476.5", "256", "0", "12"], ["8476.4", "1", "0", "1"], ["8476.3", "5", "0", "2"]],
        asks=[["8476.98", "415", "0", "13"]],
        seq=1,
        ts_ms=1,
        recv_ns=1,
    )
    text = "8476.5:256:8476.98:415:8476.4:1:8476.3:5"
    expected = zlib.crc32(text.encode())
    assert book.checksum_crc32(25) == (expected - 2**32 if expected >= 2**31 else expected)
    assert book.checksum_crc32(1) != book.checksum_crc32(25)


def test_max_depth_keeps_only_the_best_levels() -> None:
    book = L2Book(Venue.BYBIT, "BTCUSDT", max_depth=2, keep_text=True)
    book.apply_snapshot(
        bids=[["10", "1"], ["9", "1"], ["8", "1"]],
        asks=[["11", "1"], ["12", "1"], ["13", "1"]],
        seq=1,
        ts_ms=1,
        recv_ns=1,
    )
    assert book.depth_bids(5) == [(10.0, 1.0), (9.0, 1.0)]
    assert book.depth_asks(5) == [(11.0, 1.0), (12.0, 1.0)]
    book.apply_delta(bids=[["9.5", "3"]], asks=[["10.5", "4"]], seq=2, ts_ms=2, recv_ns=2)
    assert book.depth_bids(5) == [(10.0, 1.0), (9.5, 3.0)]
    assert book.depth_asks(5) == [(10.5, 4.0), (11.0, 1.0)]
    assert book.text_levels(5) == ([("10", "1"), ("9.5", "3")], [("10.5", "4"), ("11", "1")])
    with pytest.raises(ValueError, match="max_depth"):
        L2Book(Venue.BYBIT, "BTCUSDT", max_depth=0)


def test_depth_lists_handle_small_and_non_positive_n() -> None:
    book = bybit_book()
    assert book.depth_bids(0) == []
    assert book.depth_asks(0) == []
    assert book.depth_bids(1) == [(16493.5, 0.006)]
    assert book.depth_asks(1) == [(16611.0, 0.029)]
    assert book.bid_depth_qty() == pytest.approx(1.106)
    assert book.ask_depth_qty() == pytest.approx(2.242)
