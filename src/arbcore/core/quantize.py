"""Exact quantities: rounding to steps and ticks by integer math, base<->contracts, formatting."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import lcm

from arbcore.core.enums import Side

ZERO = Decimal(0)


def to_decimal(value: Decimal | float | int | str) -> Decimal:
    """Convert without inheriting binary float noise (0.1 -> Decimal('0.1'))."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _check_step(step: Decimal) -> None:
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")


def floor_steps(value: Decimal, step: Decimal) -> int:
    """Whole steps that fit in value (toward minus infinity). Exact: Decimal's
    integer division and remainder are exact whatever the context precision allows."""
    _check_step(step)
    whole, rest = divmod(value, step)  # whole truncates toward zero
    n = int(whole)
    return n - 1 if rest and value < 0 else n


def ceil_steps(value: Decimal, step: Decimal) -> int:
    _check_step(step)
    whole, rest = divmod(value, step)
    n = int(whole)
    return n + 1 if rest and value > 0 else n


def round_steps(value: Decimal, step: Decimal) -> int:
    """Nearest whole number of steps, half away from zero."""
    _check_step(step)
    whole, rest = divmod(abs(value), step)
    n = int(whole) + (1 if 2 * rest >= step else 0)
    return -n if value < 0 else n


def from_steps(n: int, step: Decimal) -> Decimal:
    """n * step, exact (Decimal multiplication of an int by a short decimal)."""
    return step * n


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    return from_steps(floor_steps(value, step), step)


def ceil_to_step(value: Decimal, step: Decimal) -> Decimal:
    return from_steps(ceil_steps(value, step), step)


def is_multiple(value: Decimal, step: Decimal) -> bool:
    _check_step(step)
    return value % step == 0


def price_to_tick(price: Decimal | float, tick: Decimal, side: Side) -> Decimal:
    """Round a limit price to the tick in the direction that never makes the order worse
    than the given price for the counterparty check: buys round up (more aggressive),
    sells round down. Use for IOC prices that must cross the book."""
    px = to_decimal(price)
    n = ceil_steps(px, tick) if side is Side.BUY else floor_steps(px, tick)
    return from_steps(n, tick)


def base_to_contracts(qty_base: Decimal, contract_size: Decimal) -> Decimal:
    """Base-coin quantity -> contracts (may be fractional; round with the venue's step)."""
    return qty_base / contract_size


def contracts_to_base(contracts: Decimal, contract_size: Decimal) -> Decimal:
    return contracts * contract_size


def common_step(steps: list[Decimal]) -> Decimal:
    """Smallest positive quantity that is an integer multiple of every step (their LCM)."""
    if not steps:
        raise ValueError("common_step needs at least one step")
    fracs = [Fraction(s) for s in steps]
    if any(f <= 0 for f in fracs):
        raise ValueError(f"steps must be positive: {steps}")
    den = lcm(*(f.denominator for f in fracs))
    nums = [f.numerator * (den // f.denominator) for f in fracs]
    result = Fraction(lcm(*nums), den)
    return _fraction_to_decimal(result)


def _fraction_to_decimal(frac: Fraction) -> Decimal:
    num, den = frac.numerator, frac.denominator
    twos = fives = 0
    d = den
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        raise ValueError(f"{frac} has no finite decimal form")
    places = max(twos, fives)
    scaled = num * (10**places) // den
    return Decimal(scaled).scaleb(-places)


def fmt(value: Decimal) -> str:
    """Plain decimal string with no exponent and no trailing zeros ('0.001', '65000', '-2.5')."""
    if not value.is_finite():
        raise ValueError(f"cannot format {value}")
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def fmt_step(value: Decimal, step: Decimal) -> str:
    """Format a value that must be on the step grid with the step's number of decimals."""
    n = round_steps(value, step)
    if from_steps(n, step) != value:
        raise ValueError(f"{value} is not a multiple of {step}")
    return fmt(from_steps(n, step))
