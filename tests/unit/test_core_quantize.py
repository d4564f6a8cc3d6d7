"""Exact step/tick arithmetic: property tests against Fraction arithmetic."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import gcd

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbcore.core.enums import Side
from arbcore.core.quantize import (
    ceil_to_step,
    common_step,
    floor_to_step,
    fmt,
    fmt_step,
    is_multiple,
    price_to_tick,
    round_steps,
    to_decimal,
)

steps = st.sampled_from(
    [Decimal(s) for s in ["0.001", "0.01", "0.1", "1", "10", "0.5", "0.25", "0.0001", "5", "0.005"]]
)
values = st.decimals(
    min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=8, allow_nan=False
)


@given(values, steps)
def test_floor_is_largest_multiple_not_above(value: Decimal, step: Decimal) -> None:
    floored = floor_to_step(value, step)
    assert is_multiple(floored, step)
    assert floored <= value < floored + step


@given(values, steps)
def test_ceil_is_smallest_multiple_not_below(value: Decimal, step: Decimal) -> None:
    ceiled = ceil_to_step(value, step)
    assert is_multiple(ceiled, step)
    assert ceiled - step < value <= ceiled


@given(values, steps)
def test_round_is_nearest(value: Decimal, step: Decimal) -> None:
    n = round_steps(value, step)
    exact = Fraction(value) / Fraction(step)
    assert abs(exact - n) <= Fraction(1, 2)


@given(st.lists(steps, min_size=1, max_size=4))
def test_common_step_is_multiple_of_every_step(ss: list[Decimal]) -> None:
    common = common_step(ss)
    assert all(is_multiple(common, s) for s in ss)
    # smallest: the quotients common/step share no factor (else common/factor would do)
    quotients = [int(Fraction(common) / Fraction(s)) for s in ss]
    assert gcd(*quotients) == 1


def test_common_step_examples() -> None:
    assert common_step([Decimal("0.001"), Decimal("0.01")]) == Decimal("0.01")
    assert common_step([Decimal("0.25"), Decimal("0.1")]) == Decimal("0.5")
    assert common_step([Decimal("0.0001"), Decimal("0.001") * Decimal("0.01")]) == Decimal("0.0001")


def test_float_noise_never_reaches_the_wire() -> None:
    value = to_decimal(0.1 + 0.2)
    assert fmt(floor_to_step(value, Decimal("0.01"))) == "0.3"
    assert fmt(Decimal("65000.00")) == "65000"
    assert fmt(Decimal("1E+3")) == "1000"
    assert fmt(Decimal("0.00000010")) == "0.0000001"
    assert fmt(Decimal("-2.50")) == "-2.5"
    assert fmt(Decimal("0E-8")) == "0"


def test_fmt_step_refuses_off_grid() -> None:
    assert fmt_step(Decimal("0.003"), Decimal("0.001")) == "0.003"
    with pytest.raises(ValueError, match="not a multiple"):
        fmt_step(Decimal("0.0035"), Decimal("0.001"))


@given(st.floats(min_value=0.0001, max_value=1e6, allow_nan=False), steps)
def test_price_to_tick_rounds_toward_aggression(px: float, tick: Decimal) -> None:
    buy = price_to_tick(px, tick, Side.BUY)
    sell = price_to_tick(px, tick, Side.SELL)
    exact = to_decimal(px)
    assert is_multiple(buy, tick) and is_multiple(sell, tick)
    assert exact <= buy < exact + tick
    assert exact - tick < sell <= exact


def test_invalid_step() -> None:
    with pytest.raises(ValueError, match="positive"):
        floor_to_step(Decimal(1), Decimal(0))
