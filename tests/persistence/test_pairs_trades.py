"""Pairs and trades round-trip exactly (Decimals, UTC times, enums) on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from arbcore.core.enums import MarginMode, PairState, TradeState, Venue
from arbcore.core.models import PairSpec
from arbcore.core.records import CloseReason, NewTrade, RecordNotFound, StateConflict
from arbcore.persistence.repositories import Repositories

EIGHTEEN_PLACES = Decimal("0.123456789012345678")
T0 = datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC)


def btc_spec(**changes: object) -> PairSpec:
    spec = PairSpec(
        symbol="BTCUSDT",
        exchanges=(Venue.BYBIT, Venue.BITGET, Venue.MEXC),
        volume_base=EIGHTEEN_PLACES,
        entry_spread_pct=Decimal("0.15"),
        take_profit_pct=Decimal("0.1") + Decimal("0.2"),
        stop_loss_pct=Decimal("1.000000000000000001"),
        entry_parts=3,
        exit_parts=2,
        leverage=5,
        margin_mode=MarginMode.CROSS,
        add_step_pct=Decimal("0.05"),
        max_adds=2,
        max_slippage_pct=Decimal("0.02"),
        price_only=(Venue.MEXC,),
    )
    return replace(spec, **changes)  # type: ignore[arg-type]


async def test_pair_round_trip_keeps_every_field_exact(repos: Repositories) -> None:
    plus_two = timezone(timedelta(hours=2))
    clocked = Repositories(repos.db, now=lambda: T0.astimezone(plus_two))
    spec = btc_spec()

    created = await clocked.pairs.create(spec)
    loaded = await repos.pairs.get(created.id)

    assert loaded == created
    assert created.created_at.tzinfo is UTC
    assert loaded.spec == spec
    assert loaded.spec.take_profit_pct == Decimal("0.3")
    assert str(loaded.spec.volume_base) == "0.123456789012345678"
    assert loaded.spec.price_only == (Venue.MEXC,)
    assert loaded.state is PairState.PAUSED
    assert loaded.created_at == T0
    assert loaded.created_at.tzinfo is UTC
    assert loaded.deleted_at is None


async def test_pair_update_state_and_soft_delete(repos: Repositories) -> None:
    first = await repos.pairs.create(btc_spec())
    second = await repos.pairs.create(btc_spec(symbol="ETHUSDT"), state=PairState.READY)

    changed = await repos.pairs.update(first.id, btc_spec(leverage=10, enabled=False))
    assert changed.spec.leverage == 10
    assert changed.state is PairState.PAUSED
    assert changed.updated_at >= first.updated_at

    ready = await repos.pairs.set_state(first.id, PairState.READY, expected=PairState.PAUSED)
    assert ready.state is PairState.READY
    with pytest.raises(StateConflict) as conflict:
        await repos.pairs.set_state(first.id, PairState.ENTERING, expected=PairState.PAUSED)
    assert conflict.value.actual is PairState.READY

    assert [p.id for p in await repos.pairs.find(symbol="ETHUSDT")] == [second.id]
    assert [p.id for p in await repos.pairs.find(enabled=False)] == [first.id]
    assert [p.id for p in await repos.pairs.find(state=PairState.READY)] == [first.id, second.id]

    deleted = await repos.pairs.delete(first.id)
    assert deleted.deleted_at is not None
    assert [p.id for p in await repos.pairs.find()] == [second.id]
    assert [p.id for p in await repos.pairs.find(include_deleted=True)] == [first.id, second.id]
    assert (await repos.pairs.get(first.id)).deleted_at == deleted.deleted_at
    with pytest.raises(RecordNotFound):
        await repos.pairs.set_state(first.id, PairState.PAUSED)
    with pytest.raises(RecordNotFound):
        await repos.pairs.get(first.id + 1000)


def new_trade(pair_id: int | None, opened_at: datetime, **changes: object) -> NewTrade:
    trade = NewTrade(
        pair_id=pair_id,
        symbol="BTCUSDT",
        long_exchange=Venue.BYBIT,
        short_exchange=Venue.BITGET,
        target_base=Decimal("0.003"),
        opened_at=opened_at,
        entry_parts=3,
        exit_parts=1,
        entry_spread_pct=Decimal("0.2100000000000000001"),
    )
    return replace(trade, **changes)  # type: ignore[arg-type]


async def test_trade_round_trip_with_exact_accounting(repos: Repositories) -> None:
    pair = await repos.pairs.create(btc_spec())
    created = await repos.trades.create(new_trade(pair.id, T0))
    assert created.state is TradeState.OPENING
    assert created.entered_base == 0
    assert created.realized_pnl_usdt is None

    closed_at = T0 + timedelta(minutes=7)
    updated = await repos.trades.update(
        created.id,
        state=TradeState.CLOSED,
        entered_base=Decimal("0.1") + Decimal("0.2"),
        exited_base=Decimal("0.3"),
        long_entry_avg_px=Decimal("65000.123456789012345678"),
        short_entry_avg_px=Decimal("65100.5"),
        long_exit_avg_px=Decimal("65200"),
        short_exit_avg_px=Decimal("65150.25"),
        entry_fees_usdt=Decimal("0.000000000000000001"),
        exit_fees_usdt=Decimal("-0.0125"),
        funding_usdt=Decimal("1.5E-7"),
        realized_pnl_usdt=Decimal("-12.345678901234567890"),
        close_reason=CloseReason.STOP_LOSS,
        entry_parts_done=3,
        exit_parts_done=1,
        adds_done=2,
        last_part_spread_pct=Decimal("0.33"),
        closed_at=closed_at,
    )
    loaded = await repos.trades.get(created.id)

    assert loaded == updated
    assert loaded.state is TradeState.CLOSED
    assert loaded.entered_base == Decimal("0.3")
    assert str(loaded.entered_base) == "0.3"
    assert str(loaded.long_entry_avg_px) == "65000.123456789012345678"
    assert str(loaded.entry_fees_usdt) == "1E-18"
    assert loaded.exit_fees_usdt == Decimal("-0.0125")
    assert loaded.funding_usdt == Decimal("0.00000015")
    assert loaded.realized_pnl_usdt == Decimal("-12.345678901234567890")
    assert loaded.open_base == 0
    assert loaded.close_reason == "stop_loss"
    assert loaded.opened_at == T0
    assert loaded.closed_at == closed_at
    assert loaded.closed_at is not None
    assert loaded.closed_at.tzinfo is UTC
    assert loaded.entry_spread_pct == Decimal("0.2100000000000000001")


async def test_trade_filters_ordering_and_open_trades(repos: Repositories) -> None:
    pair_a = await repos.pairs.create(btc_spec())
    pair_b = await repos.pairs.create(btc_spec(symbol="ETHUSDT"))
    opened = [T0 + timedelta(minutes=i) for i in range(5)]
    trades = [
        await repos.trades.create(new_trade(pair_a.id, opened[0], state=TradeState.CLOSED)),
        await repos.trades.create(new_trade(pair_a.id, opened[1], state=TradeState.OPEN)),
        await repos.trades.create(new_trade(pair_b.id, opened[2], symbol="ETHUSDT")),
        await repos.trades.create(new_trade(pair_a.id, opened[3], state=TradeState.ROLLED_BACK)),
        await repos.trades.create(new_trade(None, opened[4], state=TradeState.ERROR)),
    ]
    ids = [t.id for t in trades]

    assert [t.id for t in await repos.trades.find()] == ids[::-1]
    assert [t.id for t in await repos.trades.find(newest_first=False, limit=2)] == ids[:2]
    assert [t.id for t in await repos.trades.find(limit=2, offset=1)] == [ids[3], ids[2]]
    assert [t.id for t in await repos.trades.find(pair_id=pair_a.id)] == [ids[3], ids[1], ids[0]]
    closed_states = [TradeState.CLOSED, TradeState.ROLLED_BACK]
    assert [t.id for t in await repos.trades.find(states=closed_states)] == [ids[3], ids[0]]
    assert [t.id for t in await repos.trades.find(symbol="ETHUSDT")] == [ids[2]]
    window = await repos.trades.find(opened_from=opened[1], opened_before=opened[3])
    assert [t.id for t in window] == [ids[2], ids[1]]

    assert [t.id for t in await repos.trades.list_open()] == [ids[1], ids[2], ids[4]]
    assert [t.id for t in await repos.trades.list_open(pair_id=pair_a.id)] == [ids[1]]


async def test_trade_update_refuses_unknown_columns_and_missing_rows(repos: Repositories) -> None:
    trade = await repos.trades.create(new_trade(None, T0))
    with pytest.raises(TypeError, match="symbol"):
        await repos.trades.update(trade.id, symbol="ETHUSDT")  # type: ignore[call-arg]
    with pytest.raises(RecordNotFound):
        await repos.trades.update(trade.id + 1000, state=TradeState.OPEN)
    with pytest.raises(RecordNotFound):
        await repos.trades.get(trade.id + 1000)
