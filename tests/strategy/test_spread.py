"""Properties of the SPEC §2 math: order independence, fees, stale or short books, pnl sign."""

from __future__ import annotations

import itertools
import math

from hypothesis import assume, given
from hypothesis import strategies as st

from arbcore.core.enums import Venue
from arbcore.strategy.spread import (
    DepthSource,
    OpenPosition,
    best_entry,
    closing_pnl,
    closing_pnl_pct,
    net_entry_spread,
    pnl_pct,
)


class LevelBook:
    """A reference book: sorted levels, straightforward VWAP walk."""

    def __init__(
        self, bids: list[tuple[float, float]], asks: list[tuple[float, float]], stale: bool = False
    ) -> None:
        self.bids = sorted(bids, reverse=True)
        self.asks = sorted(asks)
        self.stale = stale

    @staticmethod
    def _walk(levels: list[tuple[float, float]], qty: float) -> float | None:
        left, cost = qty, 0.0
        for px, size in levels:
            take = min(left, size)
            cost += take * px
            left -= take
            if left <= 1e-12:
                return cost / qty
        return None

    def buy_px(self, qty: float) -> float | None:
        return self._walk(self.asks, qty)

    def sell_px(self, qty: float) -> float | None:
        return self._walk(self.bids, qty)

    def is_stale(self, now_ns: int, stale_after_ms: int) -> bool:
        return self.stale


VENUES = [Venue.BYBIT, Venue.BITGET, Venue.OKX]
prices = st.floats(min_value=10.0, max_value=100_000.0, allow_nan=False)
fee = st.floats(min_value=-0.0002, max_value=0.001, allow_nan=False)


@st.composite
def books(draw: st.DrawFn) -> LevelBook:
    mid = draw(prices)
    half = mid * draw(st.floats(min_value=0.00001, max_value=0.01))
    n = draw(st.integers(min_value=1, max_value=5))
    bids = [(mid - half * (i + 1), draw(st.floats(0.01, 5.0))) for i in range(n)]
    asks = [(mid + half * (i + 1), draw(st.floats(0.01, 5.0))) for i in range(n)]
    return LevelBook(bids, asks)


@given(st.lists(books(), min_size=3, max_size=3), st.lists(fee, min_size=3, max_size=3))
def test_best_entry_is_max_over_ordered_pairs_and_order_independent(
    bks: list[LevelBook], fees_list: list[float]
) -> None:
    book_map: dict[Venue, DepthSource | None] = dict(zip(VENUES, bks, strict=True))
    fees = dict(zip(VENUES, fees_list, strict=True))
    qty = 0.01
    best = best_entry(book_map, VENUES, qty, fees, 0, 5000)
    brute = []
    for lo, hi in itertools.permutations(VENUES, 2):
        buy, sell = bks[VENUES.index(lo)].buy_px(qty), bks[VENUES.index(hi)].sell_px(qty)
        if buy is not None and sell is not None:
            brute.append(net_entry_spread(buy, sell, fees[lo], fees[hi]))
    if not brute:
        assert best is None
        return
    assert best is not None
    assert math.isclose(best.net_spread, max(brute), rel_tol=1e-12, abs_tol=1e-15)
    assert best.long_venue != best.short_venue
    reversed_best = best_entry(book_map, list(reversed(VENUES)), qty, fees, 0, 5000)
    assert reversed_best is not None
    assert math.isclose(reversed_best.net_spread, best.net_spread, rel_tol=1e-12)


@given(prices, prices, fee, fee, st.floats(min_value=1e-6, max_value=0.001))
def test_higher_fees_never_raise_net_spread(
    buy: float, sell: float, f_long: float, f_short: float, bump: float
) -> None:
    base = net_entry_spread(buy, sell, f_long, f_short)
    assert net_entry_spread(buy, sell, f_long + bump, f_short) < base
    assert net_entry_spread(buy, sell, f_long, f_short + bump) < base


def test_rebate_raises_net_spread() -> None:
    with_fee = net_entry_spread(100.0, 100.5, 0.0002, 0.0002)
    with_rebate = net_entry_spread(100.0, 100.5, -0.0002, 0.0002)
    assert math.isclose(with_rebate - with_fee, 2 * 0.0004)


@given(books(), books())
def test_no_trade_on_stale_or_short_books(a: LevelBook, b: LevelBook) -> None:
    fees = {Venue.BYBIT: 0.0, Venue.BITGET: 0.0}
    a.stale = True
    assert best_entry({Venue.BYBIT: a, Venue.BITGET: b}, list(fees), 0.01, fees, 0, 5000) is None
    a.stale = False
    deep = sum(q for _, q in a.asks) + sum(q for _, q in b.asks) + 1.0
    assert best_entry({Venue.BYBIT: a, Venue.BITGET: b}, list(fees), deep, fees, 0, 5000) is None
    assert best_entry({Venue.BYBIT: a, Venue.BITGET: None}, list(fees), 0.01, fees, 0, 5000) is None


@given(prices, prices, st.floats(0.001, 10.0), st.floats(0.0, 0.05), st.floats(0.0, 0.05))
def test_pnl_sign_follows_convergence(
    p_long: float, p_short: float, qty: float, up: float, down: float
) -> None:
    pos = OpenPosition(qty=qty, long_avg_px=p_long, short_avg_px=p_short, entry_fees_usdt=0.0)
    # no fees: closing at entry prices is zero; long up and short down is a gain
    assert math.isclose(closing_pnl(pos, p_long, p_short, 0.0, 0.0), 0.0, abs_tol=1e-6)
    gain = closing_pnl(pos, p_long * (1 + up), p_short * (1 - down), 0.0, 0.0)
    assert gain >= -1e-6
    loss = closing_pnl(pos, p_long * (1 - up), p_short * (1 + down), 0.0, 0.0)
    assert loss <= 1e-6
    assume(up > 0.001)
    assert pnl_pct(gain, pos) > 0 > pnl_pct(loss, pos)


def test_pnl_formula_worked_example() -> None:
    pos = OpenPosition(
        qty=0.5,
        long_avg_px=100.0,
        short_avg_px=101.0,
        entry_fees_usdt=0.1,
        funding_received_usdt=0.02,
    )
    pnl = closing_pnl(pos, 100.6, 100.7, 0.0005, 0.0006)
    expected = 0.5 * 0.6 + 0.5 * 0.3 - 0.1 - 0.5 * (100.6 * 0.0005 + 100.7 * 0.0006) + 0.02
    assert math.isclose(pnl, expected, rel_tol=1e-12)
    assert math.isclose(pnl_pct(pnl, pos), expected / 50.0 * 100, rel_tol=1e-12)


def test_closing_pnl_pct_waits_for_fresh_books() -> None:
    pos = OpenPosition(qty=1.0, long_avg_px=100.0, short_avg_px=101.0, entry_fees_usdt=0.0)
    long_book = LevelBook([(100.5, 2.0)], [(100.6, 2.0)])
    short_book = LevelBook([(100.4, 2.0)], [(100.5, 2.0)], stale=True)
    assert closing_pnl_pct(pos, long_book, short_book, 0.0, 0.0, 0, 5000) is None
    short_book.stale = False
    pct = closing_pnl_pct(pos, long_book, short_book, 0.0, 0.0, 0, 5000)
    assert pct is not None and math.isclose(pct, (0.5 + 0.5) / 100 * 100)
    assert closing_pnl_pct(pos, long_book, None, 0.0, 0.0, 0, 5000) is None
