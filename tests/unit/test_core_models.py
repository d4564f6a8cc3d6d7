"""Instrument unit conversions and deterministic client order ids."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbcore.core.client_ids import (
    MAX_ATTEMPT,
    MAX_NUMERIC_TRADE_ID,
    MAX_PART,
    ROLES,
    ClientIdParts,
    client_order_id,
    from_numeric_client_id,
    numeric_client_order_id,
    parse_client_order_id,
)
from arbcore.core.enums import OrderStatus, Side, Venue
from arbcore.core.errors import (
    ExchangeError,
    InsufficientMargin,
    OrderOutcomeUnknown,
    OrderRejected,
    RateLimited,
)
from arbcore.core.models import Instrument, shared_base_step


def _okx_btc() -> Instrument:
    return Instrument(
        venue=Venue.OKX,
        symbol="BTCUSDT",
        venue_symbol="BTC-USDT-SWAP",
        base="BTC",
        quote="USDT",
        tick_size=Decimal("0.1"),
        qty_step=Decimal("0.01"),
        min_qty=Decimal("0.01"),
        contract_size=Decimal("0.01"),
        qty_in_contracts=True,
    )


def _bybit_btc() -> Instrument:
    return Instrument(
        venue=Venue.BYBIT,
        symbol="BTCUSDT",
        venue_symbol="BTCUSDT",
        base="BTC",
        quote="USDT",
        tick_size=Decimal("0.1"),
        qty_step=Decimal("0.001"),
        min_qty=Decimal("0.001"),
    )


def test_contract_instrument_converts_units() -> None:
    okx = _okx_btc()
    assert okx.base_step == Decimal("0.0001")
    assert okx.min_qty_base == Decimal("0.0001")
    assert okx.to_venue_qty(Decimal("0.05")) == Decimal(5)
    assert okx.to_base_qty(Decimal(5)) == Decimal("0.05")


def test_shared_step_of_two_venues() -> None:
    assert shared_base_step([_okx_btc(), _bybit_btc()]) == Decimal("0.001")


def test_client_ids_are_deterministic_distinct_and_parseable() -> None:
    a = client_order_id(42, "L", 1, 0)
    assert a == client_order_id(42, "L", 1, 0)
    ids = {
        client_order_id(t, leg, p, att, role=r)
        for t in range(1, 21)
        for leg in ("L", "S")
        for p in range(3)
        for att in range(3)
        for r in ("e", "x", "r")
    }
    assert len(ids) == 20 * 2 * 3 * 3 * 3
    assert all(re.fullmatch(r"ac[0-9a-z]+[LS][0-9a-z]{5}[a-z]", i) for i in ids)
    with pytest.raises(ValueError, match="leg"):
        client_order_id(1, "X", 1, 0)
    with pytest.raises(ValueError, match="out of range"):
        client_order_id(0, "L", 1, 0)


@given(
    st.one_of(st.integers(1, 20_000_000), st.integers(1, 36**7 - 1)),
    st.sampled_from(["L", "S"]),
    st.integers(0, MAX_PART),
    st.integers(0, MAX_ATTEMPT),
    st.sampled_from(sorted(ROLES)),
)
def test_client_id_round_trips(trade: int, leg: str, part: int, attempt: int, role: str) -> None:
    cid = client_order_id(trade, leg, part, attempt, role=role)
    assert len(cid) <= 16
    assert parse_client_order_id(cid) == ClientIdParts(trade, leg, part, attempt, role)
    if trade < MAX_NUMERIC_TRADE_ID:
        numeric = numeric_client_order_id(cid)
        assert 0 < numeric < 2**63
        assert from_numeric_client_id(numeric) == cid
    else:
        with pytest.raises(ValueError, match="too large"):
            numeric_client_order_id(cid)


def test_foreign_ids_are_not_parsed() -> None:
    assert parse_client_order_id("manual-order-1") is None
    assert parse_client_order_id("acZZL01000e") is None
    assert parse_client_order_id("ac1L01000q") is None


def test_error_hierarchy() -> None:
    err = InsufficientMargin("bybit", "ab not enough for new order", 110007)
    assert isinstance(err, OrderRejected) and isinstance(err, ExchangeError)
    assert not err.retryable and err.code == "110007"
    assert "bybit" in str(err) and "110007" in str(err)
    assert RateLimited("okx", "slow down", retry_after_s=1.0).retryable
    unknown = OrderOutcomeUnknown("gate", "timeout after send", client_id="ac1")
    assert not unknown.retryable and unknown.client_id == "ac1"


def test_side_and_status_helpers() -> None:
    assert Side.BUY.opposite is Side.SELL and Side.SELL.sign == -1
    assert OrderStatus.FILLED.is_final and not OrderStatus.UNKNOWN.is_final
