"""Exact two-leg accounting: realized pnl from cash flows, and the hot view matches SPEC §2."""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from arbcore.core.enums import Side, Venue
from arbcore.strategy.position import ArbPosition
from arbcore.strategy.spread import closing_pnl

D = Decimal


def test_round_trip_pnl_is_exact() -> None:
    pos = ArbPosition.open(Venue.BYBIT, Venue.BITGET)
    pos.apply_fill(Venue.BYBIT, Side.BUY, D("0.010"), D("60000.1"), D("0.330"))
    pos.apply_fill(Venue.BITGET, Side.SELL, D("0.010"), D("60300.2"), D("0.3618"))
    assert pos.imbalance_base == 0
    pos.apply_fill(Venue.BYBIT, Side.SELL, D("0.010"), D("60100.0"), D("0.33055"))
    pos.apply_fill(Venue.BITGET, Side.BUY, D("0.010"), D("60150.0"), D("0.3609"))
    assert pos.is_flat
    expected = (
        D("0.010") * (D("60100.0") - D("60000.1"))
        + D("0.010") * (D("60300.2") - D("60150.0"))
        - (D("0.330") + D("0.3618") + D("0.33055") + D("0.3609"))
    )
    assert pos.realized_pnl_usdt == expected


def test_hot_view_equals_spec_formula_without_partial_exits() -> None:
    pos = ArbPosition.open(Venue.BYBIT, Venue.OKX)
    pos.apply_fill(Venue.BYBIT, Side.BUY, D("2"), D("100"), D("0.1"))
    pos.apply_fill(Venue.OKX, Side.SELL, D("2"), D("101"), D("0.1"))
    view = pos.hot_view()
    assert view is not None
    assert view.entry_fees_usdt == 0.2
    assert math.isclose(closing_pnl(view, 100.5, 100.4, 0.0, 0.0), 2 * 0.5 + 2 * 0.6 - 0.2)


@given(
    st.lists(
        st.tuples(st.integers(1, 50), st.integers(9_000, 11_000), st.integers(9_000, 11_000)),
        min_size=1,
        max_size=4,
    ),
    st.integers(1, 3),
    st.integers(9_000, 11_000),
    st.integers(9_000, 11_000),
)
def test_hot_view_predicts_realized_pnl_after_partial_exits(
    entries: list[tuple[int, int, int]], exit_parts: int, exit_long: int, exit_short: int
) -> None:
    pos = ArbPosition.open(Venue.BYBIT, Venue.OKX)
    fee = D("0.0005")
    for qty, buy, sell in entries:
        q, b, s = D(qty), D(buy), D(sell)
        pos.apply_fill(Venue.BYBIT, Side.BUY, q, b, q * b * fee)
        pos.apply_fill(Venue.OKX, Side.SELL, q, s, q * s * fee)
    total = pos.long.qty_base
    first = (total // exit_parts) if exit_parts > 1 else D(0)
    if first > 0:
        pos.apply_fill(Venue.BYBIT, Side.SELL, first, D(exit_long), first * exit_long * fee)
        pos.apply_fill(Venue.OKX, Side.BUY, first, D(exit_short), first * exit_short * fee)
    view = pos.hot_view()
    assert view is not None
    predicted = closing_pnl(view, float(exit_long), float(exit_short), 0.0005, 0.0005)
    rest = pos.long.qty_base
    pos.apply_fill(Venue.BYBIT, Side.SELL, rest, D(exit_long), rest * exit_long * fee)
    pos.apply_fill(Venue.OKX, Side.BUY, rest, D(exit_short), rest * exit_short * fee)
    assert pos.is_flat
    assert math.isclose(predicted, float(pos.realized_pnl_usdt), rel_tol=1e-9, abs_tol=1e-6)
