"""Pair validation against instrument limits names exchange and limit; slot accounting."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arbcore.core.enums import Venue
from arbcore.core.models import Instrument, PairSpec
from arbcore.risk.limits import part_quantity, validate_pair
from arbcore.risk.slots import Slots


def inst(venue: Venue, **kw: object) -> Instrument:
    base: dict[str, object] = {
        "venue": venue,
        "symbol": "BTCUSDT",
        "venue_symbol": "BTCUSDT",
        "base": "BTC",
        "quote": "USDT",
        "tick_size": Decimal("0.1"),
        "qty_step": Decimal("0.001"),
        "min_qty": Decimal("0.001"),
        "min_notional_usdt": Decimal("5"),
        "max_leverage": Decimal("100"),
    }
    base.update(kw)
    return Instrument(**base)  # type: ignore[arg-type]


def spec(**kw: object) -> PairSpec:
    base: dict[str, object] = {
        "symbol": "BTCUSDT",
        "exchanges": (Venue.BYBIT, Venue.OKX),
        "volume_base": Decimal("0.01"),
        "entry_spread_pct": Decimal("0.2"),
        "take_profit_pct": Decimal("0.1"),
        "stop_loss_pct": Decimal("1"),
    }
    base.update(kw)
    return PairSpec(**base)  # type: ignore[arg-type]


OKX_BTC = inst(
    Venue.OKX,
    venue_symbol="BTC-USDT-SWAP",
    qty_step=Decimal("0.1"),
    min_qty=Decimal("0.1"),
    contract_size=Decimal("0.01"),
    qty_in_contracts=True,
    min_notional_usdt=Decimal(0),
)


def test_valid_pair_has_no_violations() -> None:
    instruments = {Venue.BYBIT: inst(Venue.BYBIT), Venue.OKX: OKX_BTC}
    assert validate_pair(spec(), instruments, {Venue.BYBIT: 60000.0, Venue.OKX: 60000.0}) == []


def test_part_below_minimum_names_exchange_and_limit() -> None:
    instruments = {
        Venue.BYBIT: inst(Venue.BYBIT, min_qty=Decimal("0.005")),
        Venue.OKX: OKX_BTC,
    }
    problems = validate_pair(spec(entry_parts=4), instruments)
    assert [(p.venue, p.limit) for p in problems] == [(Venue.BYBIT, "min_qty")]
    assert "bybit: min_qty" in str(problems[0])
    assert "one part (entry_parts=4) is 0.002 BTC" in str(problems[0])


def test_min_notional_leverage_and_listing() -> None:
    instruments = {Venue.BYBIT: inst(Venue.BYBIT, max_leverage=Decimal(20)), Venue.OKX: None}
    problems = validate_pair(spec(leverage=25), instruments)
    assert [(p.venue, p.limit) for p in problems] == [(Venue.OKX, "symbol")]
    instruments = {Venue.BYBIT: inst(Venue.BYBIT, max_leverage=Decimal(20)), Venue.OKX: OKX_BTC}
    problems = validate_pair(
        spec(leverage=25, volume_base=Decimal("0.001")),
        instruments,
        {
            Venue.BYBIT: 3000.0,
            Venue.OKX: 3000.0,
        },
    )
    assert {(p.venue, p.limit) for p in problems} == {
        (Venue.BYBIT, "min_notional"),
        (Venue.BYBIT, "max_leverage"),
    }


def test_price_only_venues_do_not_count_as_trading() -> None:
    instruments = {Venue.BYBIT: inst(Venue.BYBIT), Venue.OKX: OKX_BTC}
    problems = validate_pair(spec(price_only=(Venue.OKX,)), instruments)
    assert [p.limit for p in problems] == ["exchanges"]


def test_part_quantity_is_on_the_shared_step() -> None:
    assert part_quantity(Decimal("0.01"), 3, Decimal("0.001")) == Decimal("0.003")


def test_slots_lowering_limit_keeps_running_and_blocks_new() -> None:
    slots = Slots(2)
    assert slots.try_acquire(1)
    assert slots.try_acquire(2)
    assert not slots.try_acquire(3)
    slots.set_limit(1)
    assert slots.in_use == 2
    assert slots.holds(1)
    assert slots.holds(2)
    slots.release(1)
    assert not slots.try_acquire(3)  # 1 in use, limit 1
    slots.release(2)
    assert slots.try_acquire(3)
    assert slots.try_acquire(3)  # idempotent for the holder
    with pytest.raises(ValueError, match=">= 0"):
        slots.set_limit(-1)
